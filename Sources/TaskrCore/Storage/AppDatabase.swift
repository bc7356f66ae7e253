import Foundation
import GRDB

/// Taskr's SQLite database: a GRDB `DatabasePool` (WAL mode) for writes
/// and occasional reads, a read-only connection per thread for the page
/// read, a busy timeout, foreign keys, and the schema migrated at open.
///
/// The one door to SQLite, in the manner of GRDB's demo `AppDatabase`: the
/// pool stays private, and the stores (`Storage/SQLite/`) go through
/// ``fetchOne(_:arguments:_:)`` (the page path: the calling thread's own
/// ``SQLiteReader``), ``read(_:)`` and the write methods. Routes and services see
/// the store protocols only.
///
/// Several `taskr` processes may open the same file; the busy timeout makes
/// a writer wait for another process's transaction instead of failing.
public final class AppDatabase: Sendable {
    private let pool: DatabasePool
    private let threadReaders: ThreadReaders

    /// Opens (creating it `0600` if needed) and migrates the database at `path`.
    ///
    /// Migrations are idempotent: they run in one transaction each, and ones
    /// already applied are skipped, so concurrent starts are safe (see
    /// ``migrate(_:)``).
    ///
    /// - Parameter busyTimeout: how long, in seconds, a statement waits for
    ///   another connection's lock before it fails with `SQLITE_BUSY`.
    /// - Parameter readers: how many pool connections may read at once. The
    ///   reads every request makes go through ``ThreadReaders`` instead.
    /// - Parameter existing: open only a database that is there already,
    ///   and leave its schema as it is (`taskr check`).
    /// - Parameter migrating: migrate at open (`taskr migrate` calls
    ///   ``migrate()`` itself, to tell what it applied).
    /// - Parameter statementObserver: told the SQL of every statement any
    ///   of this database's connections runs (tests count them per page).
    public init(
        path: String, busyTimeout: Double = 5, readers: Int = 5, existing: Bool = false, migrating: Bool = true,
        statementObserver: (@Sendable (String) -> Void)? = nil
    ) throws {
        if existing {
            guard FileManager.default.fileExists(atPath: path) else { throw POSIXError(.ENOENT) }
        } else {
            try Self.createPrivately(path)
        }
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.maximumReaderCount = max(1, readers)
        configuration.foreignKeysEnabled = true
        configuration.label = "taskr"
        if let statementObserver {
            configuration.prepareDatabase { db in db.trace { statementObserver($0.description) } }
        }
        pool = try Self.openPool(path: path, configuration: configuration)
        // GRDB sets NORMAL with WAL, which survives a crash of taskr but may
        // lose the last commits on power loss. What was answered with a 303
        // must survive both: FULL syncs the WAL at every commit (writes are
        // rare here, and the reads that every request makes never sync).
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        if migrating, !existing { try Self.migrate(pool) }
        threadReaders = ThreadReaders(path: path, busyTimeout: busyTimeout, statementObserver: statementObserver)
    }

    /// The first row of a single `SELECT`, mapped, on the request path: on
    /// the calling thread's own connection (``ThreadReaders``), without a
    /// transaction around it (one statement reads one consistent snapshot
    /// anyway), the statement prepared once per connection and reused, and
    /// the row read through SQLite's column functions (``SQLiteRow``).
    func fetchOne<T>(_ sql: String, arguments: [SQLiteArgument], _ map: (SQLiteRow) throws -> T) throws -> T? {
        try threadReaders.reader().fetchOne(sql, arguments: arguments, map)
    }

    /// Reads that are not on every page (lists for the account page and the
    /// administration commands), in one read transaction on one of the
    /// pool's readers: one snapshot, which sees every write committed before.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Writes in one transaction on the pool's writer.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// Writes in one `BEGIN IMMEDIATE` transaction: the write lock is taken
    /// before `body` reads, so no other process can read the same rows in
    /// between (check-and-count). `body` says whether to commit.
    func writeImmediately<T>(_ body: (Database) throws -> (T, commit: Bool)) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                let (value, commit) = try body(db)
                result = value
                return commit ? .commit : .rollback
            }
            return result!
        }
    }

    /// Whether the database answers, for `/healthz`: reads the schema inside
    /// an immediate (write-locking) transaction that it rolls back, so a
    /// database that could serve reads but not signups is reported too.
    /// Waits at most the busy timeout.
    public func isAvailable() -> Bool {
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")
                    return .rollback
                }
            }
            return true
        } catch {
            return false
        }
    }

    /// Which migrations this database has applied, and which this build knows.
    public func migrationState() throws -> MigrationState {
        let applied = try pool.read { try Self.migrator.appliedIdentifiers($0) }
        let known = Self.migrator.migrations
        // In this build's order; any a newer build applied come last.
        return MigrationState(applied: known.filter(applied.contains) + applied.subtracting(known).sorted(), known: known)
    }

    /// Applies the migrations not applied yet; returns their names.
    @discardableResult
    public func migrate() throws -> [String] {
        let before = try migrationState().applied
        try Self.migrate(pool)
        return try migrationState().applied.filter { !before.contains($0) }
    }

    /// Opens the pool. Switching a new file to WAL needs a lock that SQLite
    /// refuses at once, without the busy timeout, while another process is
    /// switching it too (`spawn-fcgi -F N` on a new file): that refusal is
    /// retried for up to the busy timeout, which it never needs long.
    private static func openPool(path: String, configuration: GRDB.Configuration) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(5)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(UInt32.random(in: 5_000...20_000))
            }
        }
    }

    /// Runs the migrations that are not applied yet.
    ///
    /// GRDB reads which migrations are applied before it takes the write
    /// lock, so processes starting together on a new file (`spawn-fcgi -F N`)
    /// may both run the same one. Each migration is one immediate
    /// transaction: the loser's fails whole ("table already exists") and
    /// rolls back, and it looks again at what is applied now.
    private static func migrate(_ pool: DatabasePool) throws {
        var attempt = 1
        while true {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                if try pool.read(migrator.hasCompletedMigrations) { return }
                guard attempt < 5 else { throw error }
                attempt += 1
            }
        }
    }

    /// Creates an empty file readable by its owner only, so the database
    /// (and the WAL and shared-memory files SQLite gives the same mode) is
    /// never world-readable, whatever the umask.
    private static func createPrivately(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }
}

/// Where a database's schema stands against this build's migrations.
public struct MigrationState: Sendable, Equatable {
    /// Applied to the database, in order.
    public let applied: [String]
    /// Known to this build, in order.
    public let known: [String]

    /// Known here, not applied yet.
    public var pending: [String] { known.filter { !applied.contains($0) } }
    /// Applied by a newer build than this one.
    public var unknown: Set<String> { Set(applied).subtracting(known) }
    /// The last migration applied, e.g. "v4-account-page".
    public var version: String { applied.last ?? "empty" }
}
