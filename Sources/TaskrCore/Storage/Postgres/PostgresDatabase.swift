import Foundation
import Postgres

/// Taskr's PostgreSQL database, shared by every host: the twin of
/// ``AppDatabase``, and the one door to PostgreSQL. Each thread talks to the
/// server on its own connection (``ThreadConnections``); the stores
/// (`Storage/Postgres/`) go through ``read(_:)`` and ``write(_:)``.
///
/// A lost or refused connection becomes ``DatabaseUnavailable`` (a 503
/// page); the next request connects again, so every host recovers on its
/// own when the server is back.
public final class PostgresDatabase: Sendable {
    private let connections: ThreadConnections

    /// Connects and, unless told not to, migrates under an advisory lock,
    /// so several hosts starting at once apply each migration exactly once.
    ///
    /// - Parameter conninfo: the `postgresql://` URI (never logged: it may
    ///   hold a password).
    public init(conninfo: String, migrating: Bool = true) throws {
        connections = ThreadConnections(conninfo: conninfo)
        _ = try read { _ in () }
        if migrating { try migrate() }
    }

    /// Runs `body` on the calling thread's connection, outside a
    /// transaction (one statement reads one consistent snapshot). A
    /// connection lost before anything came back is replaced and `body`
    /// tried once more: a read is safe to repeat, and after a server
    /// restart every worker's old connection fails once this way.
    func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try onConnection(body)
        } catch is DatabaseUnavailable {
            return try onConnection(body)
        }
    }

    /// Runs `body` in one transaction on the calling thread's connection.
    /// Never repeated: after a lost connection nobody knows whether the
    /// commit landed, so the request gets a 503 and the person decides.
    func write<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try onConnection { connection in try connection.transaction { try body(connection) } }
    }

    /// Whether the server answers a statement, for `/healthz` and `taskr check`.
    public func isAvailable() -> Bool {
        (try? read { try $0.query("SELECT 1").count == 1 }) ?? false
    }

    private func onConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try body(try connections.connection())
        } catch let error as PostgresError where error.isConnectionLost {
            connections.drop()
            throw DatabaseUnavailable(reason: error.description)
        }
    }
}
