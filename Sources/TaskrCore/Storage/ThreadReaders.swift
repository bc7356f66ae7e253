import Foundation

/// One read-only SQLite connection per thread (``SQLiteReader``), for the
/// read every page makes (the session with its user and Attio connection).
///
/// Why not the pool's readers: `DatabasePool` hands readers out under
/// libdispatch locks that all workers share, and at thousands of requests a
/// second that contention cost more than the queries. A connection owned by
/// one thread is never contended. In WAL mode these readers see every
/// committed write, as the pool's do.
final class ThreadReaders: @unchecked Sendable {
    // @unchecked: `key` is written once in init; each thread only touches
    // its own slot.
    private var key = pthread_key_t()
    private let path: String
    private let busyTimeout: Double
    private let statementObserver: (@Sendable (String) -> Void)?

    init(path: String, busyTimeout: Double, statementObserver: (@Sendable (String) -> Void)? = nil) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.statementObserver = statementObserver
        // The slot's destructor closes the connection when its thread ends.
        pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<SQLiteReader>.fromOpaque(pointer).release()
        }
    }

    deinit { pthread_key_delete(key) }

    /// The calling thread's connection, opened on first use.
    func reader() throws -> SQLiteReader {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<SQLiteReader>.fromOpaque(pointer).takeUnretainedValue()
        }
        let reader = try SQLiteReader(path: path, busyTimeout: busyTimeout, statementObserver: statementObserver)
        pthread_setspecific(key, Unmanaged.passRetained(reader).toOpaque())
        return reader
    }
}
