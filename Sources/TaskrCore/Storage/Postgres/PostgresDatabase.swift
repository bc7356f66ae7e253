import Foundation
import Postgres
import ThreadLocal

/// Taskr's PostgreSQL database, shared by every host: the engine the
/// tables run on, over the `Postgres` wrapper (libpq).
///
/// Every thread talks to the server on its own connection (``ThreadLocal``),
/// with its prepared statements kept. A lost or refused connection becomes
/// ``DatabaseUnavailable`` (a 503 page); the next use connects again, so
/// every host recovers on its own when the server is back.
public final class PostgresDatabase: DatabaseEngine {
    private let connections: ThreadLocal<PostgresConnection>

    var dialect: SQLDialect { .postgres }

    /// Serialises what must not interleave across hosts (check-and-count,
    /// migrations), as SQLite's `BEGIN IMMEDIATE` does: a transaction-scoped
    /// advisory lock, Taskr's alone ("taskr").
    private static let exclusiveLock: Int64 = 0x7461_736B_72

    /// Connects and, unless told not to, migrates.
    ///
    /// - Parameter conninfo: the `postgresql://` URI (never logged: it may
    ///   hold a password).
    public init(conninfo: String, migrating: Bool = true) throws {
        connections = ThreadLocal { try PostgresConnection(conninfo, connectTimeout: 3) }
        _ = try onConnection { _ in () }
        if migrating { try Migrator(engine: self).migrate() }
    }

    /// A read is safe to repeat: a connection lost before anything came back
    /// is replaced and the read tried once more (after a server restart
    /// every worker's old connection fails once this way).
    func first<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (PostgresRow) throws -> T) throws -> T? {
        try retryingOnce { connection in
            let result = try connection.query(sql, arguments.map { $0.postgres })
            return result.count == 0 ? nil : try map(result[0])
        }
    }

    func all<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (PostgresRow) throws -> T) throws -> [T] {
        try retryingOnce { connection in try connection.query(sql, arguments.map { $0.postgres }).rows.map(map) }
    }

    /// Never repeated: after a lost connection nobody knows whether the
    /// commit landed, so the request gets a 503 and the person decides.
    func write<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try onConnection { connection in try connection.transaction { try body(PostgresTransaction(connection: connection)) } }
    }

    func writeExclusively<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try write { transaction in
            try transaction.execute("SELECT pg_advisory_xact_lock($1)", [.integer(Self.exclusiveLock)])
            return try body(transaction)
        }
    }

    func snapshot<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try onConnection { connection in
            try connection.command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let value = try body(PostgresTransaction(connection: connection))
                try connection.command("COMMIT")
                return value
            } catch {
                if connection.isOpen { try? connection.command("ROLLBACK") }
                throw error
            }
        }
    }

    /// Whether the server answers a statement, for `/healthz` and `taskr check`.
    public func isAvailable() -> Bool {
        (try? first("SELECT 1", []) { try $0.int(0) }) == 1
    }

    private func retryingOnce<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try onConnection(body)
        } catch is DatabaseUnavailable {
            return try onConnection(body)
        }
    }

    private func onConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try body(try connections.value())
        } catch let error as PostgresError where error.isConnectionLost {
            connections.drop()
            throw DatabaseUnavailable(reason: error.description)
        }
    }
}
