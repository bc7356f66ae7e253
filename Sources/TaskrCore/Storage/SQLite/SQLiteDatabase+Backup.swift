import Foundation
import SQLite

/// Why `taskr backup` wrote nothing.
public struct BackupError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension SQLiteDatabase {
    /// A consistent copy of the live database at `target`, while other
    /// connections and processes go on writing (SPEC `taskr backup`).
    ///
    /// `VACUUM INTO` reads one snapshot (in WAL mode readers never block
    /// writers, nor writers them) into an empty `0600` temporary file
    /// beside `target`; that file is opened on its own, must pass
    /// `PRAGMA integrity_check`, is flushed to disk and then renamed over
    /// `target`, so `target` is always either the old backup or the whole
    /// new one. A failure removes the temporary file.
    ///
    /// - Returns: the size in bytes of the backup.
    public func backup(to target: String) throws -> Int64 {
        let target = URL(fileURLWithPath: target).standardizedFileURL.path
        guard target != URL(fileURLWithPath: path).standardizedFileURL.path else {
            throw BackupError(description: "\(target) is the database itself: back up to another file")
        }
        let directory = (target as NSString).deletingLastPathComponent
        let temporary = "\(target).partial-\(UUID().uuidString.prefix(8))"
        try Self.createPrivately(temporary)
        do {
            _ = try connections.value().execute("VACUUM INTO $1", [.text(temporary)])
            try Self.verify(temporary)
            try Self.flush(temporary, directory: false)
            guard rename(temporary, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            try Self.flush(directory.isEmpty ? "." : directory, directory: true)
        } catch {
            for leftover in [temporary, "\(temporary)-wal", "\(temporary)-shm"] { unlink(leftover) }
            throw error
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: target)
        return (attributes[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Opens the copy on its own connection: every page must read back.
    private static func verify(_ copy: String) throws {
        let connection = try SQLiteConnection(path: copy, options: SQLiteOptions())
        let results = try connection.all("PRAGMA integrity_check") { try $0.text(0) }
        guard results == ["ok"] else {
            throw BackupError(description: "the copy failed SQLite's integrity check: \(results.prefix(5).joined(separator: "; "))")
        }
    }

    /// `fsync` of a file or, after the rename, of its folder.
    private static func flush(_ path: String, directory: Bool) throws {
        let fd = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
