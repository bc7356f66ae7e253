/// How every connection to a Taskr database is set up: one set of options,
/// applied by ``SQLiteConnection`` at open, whichever thread or command
/// opens it.
public struct SQLiteOptions: Sendable {
    /// Seconds a statement waits for another connection's lock before it
    /// fails with `SQLITE_BUSY`.
    public var busyTimeout: Double
    /// Page cache per connection, in KiB. Each worker thread has its own
    /// connection, and the operating system caches the file anyway.
    public var cacheKiB: Int
    /// Told the SQL of every statement the connection runs (tests count
    /// statements per page). Set after the connection's own set-up.
    public var statementObserver: (@Sendable (String) -> Void)?

    public init(busyTimeout: Double = 5, cacheKiB: Int = 256, statementObserver: (@Sendable (String) -> Void)? = nil) {
        self.busyTimeout = busyTimeout
        self.cacheKiB = cacheKiB
        self.statementObserver = statementObserver
    }

    /// The pragmas every connection runs at open, in order:
    /// - WAL: readers never block the writer, nor it them; several
    ///   processes share the file.
    /// - `synchronous = FULL`: the WAL is synced at every commit, so what was
    ///   answered with a 303 survives a power loss too (writes are rare; the
    ///   reads every request makes never sync).
    /// - foreign keys on: a deleted user takes their rows along.
    var pragmas: String {
        """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        PRAGMA foreign_keys = ON;
        PRAGMA cache_size = -\(cacheKiB);
        """
    }
}
