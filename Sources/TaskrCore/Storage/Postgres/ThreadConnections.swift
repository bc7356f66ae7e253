import Foundation
import Postgres

/// One PostgreSQL connection per thread, as ``ThreadReaders`` is for SQLite:
/// each FastCGI worker talks to the server on its own connection, never
/// contended, with its prepared statements kept. A connection found lost is
/// dropped and the next use opens a new one.
final class ThreadConnections: @unchecked Sendable {
    // @unchecked: `key` is written once in init; each thread only touches
    // its own slot, and a connection never leaves its thread.
    private var key = pthread_key_t()
    private let conninfo: String

    init(conninfo: String) {
        self.conninfo = conninfo
        // The slot's destructor closes the connection when its thread ends.
        pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<PostgresConnection>.fromOpaque(pointer).release()
        }
    }

    deinit { pthread_key_delete(key) }

    /// The calling thread's connection, opened on first use or after a loss.
    func connection() throws(PostgresError) -> PostgresConnection {
        if let pointer = pthread_getspecific(key) {
            let connection = Unmanaged<PostgresConnection>.fromOpaque(pointer).takeUnretainedValue()
            if connection.isOpen { return connection }
            drop()
        }
        let connection = try PostgresConnection(conninfo, connectTimeout: 3)
        pthread_setspecific(key, Unmanaged.passRetained(connection).toOpaque())
        return connection
    }

    /// Closes the calling thread's connection (it was lost mid-statement).
    func drop() {
        guard let pointer = pthread_getspecific(key) else { return }
        pthread_setspecific(key, nil)
        Unmanaged<PostgresConnection>.fromOpaque(pointer).release()
    }
}
