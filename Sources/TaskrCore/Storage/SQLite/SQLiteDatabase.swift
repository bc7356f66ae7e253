import Foundation
import SQLite
import ThreadLocal

/// Taskr's SQLite database (the embedded default, one host): the engine
/// the tables run on, over the `SQLite` wrapper.
///
/// Every thread has its own connection (``ThreadLocal``), opened with the
/// one set of ``SQLiteOptions``: the page read never waits for another
/// thread, and in WAL mode every connection sees every committed write.
/// Writes run in `BEGIN IMMEDIATE` transactions, one at a time per process
/// (a mutex, so this process's writers queue without polling SQLite's busy
/// handler); other processes on the same file wait on the busy timeout.
public final class SQLiteDatabase: DatabaseEngine {
    /// The database file.
    public let path: String
    let connections: ThreadLocal<SQLiteConnection>
    private let writer = NSLock()

    var dialect: SQLDialect { .sqlite }

    /// Opens (creating it `0600` if needed) and migrates the database at `path`.
    ///
    /// - Parameters:
    ///   - busyTimeout: how long, in seconds, a statement waits for another
    ///     process's lock before it fails with `SQLITE_BUSY`.
    ///   - existing: open only a database that is there already, and leave
    ///     its schema as it is (`taskr check`).
    ///   - migrating: migrate at open.
    ///   - statementObserver: told the SQL of every statement any of this
    ///     database's connections runs (tests count them per page).
    public init(
        path: String, busyTimeout: Double = 5, existing: Bool = false, migrating: Bool = true,
        statementObserver: (@Sendable (String) -> Void)? = nil
    ) throws {
        if existing {
            guard FileManager.default.fileExists(atPath: path) else { throw POSIXError(.ENOENT) }
        } else {
            try Self.createPrivately(path)
        }
        self.path = path
        let options = SQLiteOptions(busyTimeout: busyTimeout, statementObserver: statementObserver)
        connections = ThreadLocal { try Self.open(path, options) }
        _ = try connections.value()
        if migrating, !existing { try Migrator(engine: self).migrate() }
    }

    func first<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (SQLiteRow) throws -> T) throws -> T? {
        try connections.value().first(sql, arguments.map { $0.sqlite }, map)
    }

    func all<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (SQLiteRow) throws -> T) throws -> [T] {
        try connections.value().all(sql, arguments.map { $0.sqlite }, map)
    }

    func write<T>(_ body: (SQLiteTransaction) throws -> T) throws -> T {
        let connection = try connections.value()
        writer.lock()
        defer { writer.unlock() }
        return try connection.transaction(immediate: true) { try body(SQLiteTransaction(connection: connection)) }
    }

    /// `BEGIN IMMEDIATE` already excludes every other writer before the
    /// first read: the same as ``write(_:)``.
    func writeExclusively<T>(_ body: (SQLiteTransaction) throws -> T) throws -> T {
        try write(body)
    }

    func snapshot<T>(_ body: (SQLiteTransaction) throws -> T) throws -> T {
        let connection = try connections.value()
        return try connection.transaction(immediate: false) { try body(SQLiteTransaction(connection: connection)) }
    }

    /// Reads the schema inside an immediate (write-locking) transaction that
    /// it rolls back, so a database that could serve reads but not sign-ups
    /// is reported too. Waits at most the busy timeout.
    public func isAvailable() -> Bool {
        do {
            let connection = try connections.value()
            writer.lock()
            defer { writer.unlock() }
            try connection.run("BEGIN IMMEDIATE")
            defer { try? connection.run("ROLLBACK") }
            return try connection.first("SELECT count(*) FROM sqlite_master") { try $0.int64(0) } != nil
        } catch {
            return false
        }
    }

    /// Opens a connection. Switching a new file to WAL needs a lock that
    /// SQLite refuses at once, without the busy timeout, while another
    /// process is switching it too (`spawn-fcgi -F N` on a new file): that
    /// refusal is retried for up to five seconds, which it never needs long.
    private static func open(_ path: String, _ options: SQLiteOptions) throws -> SQLiteConnection {
        let deadline = Date().addingTimeInterval(5)
        while true {
            do {
                return try SQLiteConnection(path: path, options: options)
            } catch {
                guard error.isBusy, Date() < deadline else { throw error }
                usleep(UInt32.random(in: 5_000...20_000))
            }
        }
    }

    /// Creates an empty file readable by its owner only, so the database
    /// (and the WAL and shared-memory files SQLite gives the same mode) is
    /// never world-readable, whatever the umask.
    static func createPrivately(_ path: String) throws {
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }
}
