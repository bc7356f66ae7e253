import Foundation
import GRDB

/// One read-only SQLite connection per thread, for the reads every request
/// makes (the session and its user, the Attio connection).
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
    private let configuration: GRDB.Configuration

    init(path: String, busyTimeout: Double, statementObserver: (@Sendable (String) -> Void)? = nil) {
        self.path = path
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "taskr.thread-reader"
        // A small page cache each: there is one connection per worker, and
        // the operating system caches the file anyway.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -256")
            if let statementObserver { db.trace { statementObserver($0.description) } }
        }
        self.configuration = configuration
        // The slot's destructor closes the connection when its thread ends.
        pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<DatabaseQueue>.fromOpaque(pointer).release()
        }
    }

    deinit { pthread_key_delete(key) }

    /// The calling thread's connection, opened on first use.
    func reader() throws -> DatabaseQueue {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<DatabaseQueue>.fromOpaque(pointer).takeUnretainedValue()
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        pthread_setspecific(key, Unmanaged.passRetained(queue).toOpaque())
        return queue
    }
}
