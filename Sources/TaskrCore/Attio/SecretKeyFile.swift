import Foundation
public import Logging
public import Sodium

/// The key file used when `TASKR_SECRET_KEY` is not set: created once,
/// `0600`, beside the database, and read on every later start.
public enum SecretKeyFile {
    /// `taskr.sqlite3` → `taskr.sqlite3.key`, in the same folder.
    public static func path(forDatabase databasePath: String) -> String {
        databasePath + ".key"
    }

    /// Reads the key at `path`, or creates it (with a warning) when there is none.
    ///
    /// - Throws: when the file cannot be created, or holds no valid key
    ///   (a corrupt key file must not be silently replaced: the tokens
    ///   sealed under it would be lost).
    public static func loadOrCreate(at path: String, logger: Logger) throws -> SecretKey {
        if let key = try load(at: path) { return key }
        // Written whole to a private file first, then linked into place:
        // link() is atomic and fails if a key is there already, so processes
        // starting together (spawn-fcgi -F N) never read a half-written key
        // and all end up with the one that won.
        let key = SecretKey.generate()
        let temporary = "\(path).\(getpid()).\(UInt64.random(in: .min ... .max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KeyFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { unlink(temporary) }
        let line = Array((key.base64URL + "\n").utf8)
        let written = write(fd, line, line.count) == line.count && fsync(fd) == 0
        let writeError = errno
        close(fd)
        guard written else { throw KeyFileError(path: path, reason: String(cString: strerror(writeError))) }
        guard link(temporary, path) == 0 else {
            guard errno == EEXIST else { throw KeyFileError(path: path, reason: String(cString: strerror(errno))) }
            // Another process linked its key first: use that one. It is
            // there now, so this reads it or fails; it never loops.
            guard let key = try load(at: path) else { throw KeyFileError(path: path, reason: "it vanished while starting") }
            return key
        }
        logger.warning(
            "TASKR_SECRET_KEY is not set: generated a key into \(path) (mode 0600). Back it up with the database; without it the stored Attio tokens cannot be read."
        )
        return key
    }
}

extension SecretKeyFile {
    /// The key in the file at `path`, or nil when there is no such file
    /// (nothing is created: what the administration commands use).
    /// - Throws: when the file is there but cannot be read or holds no key.
    public static func load(at path: String) throws -> SecretKey? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw KeyFileError(path: path, reason: String(cString: strerror(errno)))
        }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = Foundation.read(fd, &bytes, bytes.count)
        let readError = errno
        close(fd)
        guard count >= 0 else { throw KeyFileError(path: path, reason: String(cString: strerror(readError))) }
        guard let text = String(validating: bytes.prefix(count), as: UTF8.self), let key = SecretKey.parsing(text) else {
            throw KeyFileError(path: path, reason: "it does not hold a 32-byte key")
        }
        return key
    }
}

/// The key file exists but cannot be used.
struct KeyFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot use the key file \(path): \(reason)" }
}
