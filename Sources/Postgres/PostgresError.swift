/// A PostgreSQL operation that failed. Names the failure only: the
/// connection's fixed reason or the server's SQLSTATE and the statement's
/// first words, never a bound value (a password hash, a sealed token) and
/// never the connection string (it may hold a password).
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case connection(String)
        case statement(sqlState: String, operation: String)
        case unexpectedResult(String)
    }

    private let code: Code

    /// No connection to the server, or it was lost: the database is
    /// unreachable for now (the caller answers 503; the next use reconnects).
    static func connection(_ reason: String) -> PostgresError { PostgresError(code: .connection(reason)) }

    /// The server refused a statement with this SQLSTATE (e.g. `23505`, a
    /// unique violation).
    static func statement(sqlState: String, operation: String) -> PostgresError {
        PostgresError(code: .statement(sqlState: sqlState, operation: operation))
    }

    /// A result that was not what the statement promises (a column of
    /// another type, say): a bug, never data.
    static func unexpectedResult(_ what: String) -> PostgresError { PostgresError(code: .unexpectedResult(what)) }

    /// The server could not be reached or the connection broke.
    public var isConnectionLost: Bool {
        if case .connection = code { return true }
        // Class 08 (connection exception), 57P01–57P03 (the server shutting
        // down or starting), 53300 (too many connections).
        if case let .statement(state, _) = code {
            return state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300"
        }
        return false
    }

    /// The server's SQLSTATE, when a statement failed.
    public var sqlState: String? {
        if case let .statement(state, _) = code { return state }
        return nil
    }

    public var description: String {
        switch code {
        case let .connection(reason): "PostgreSQL connection failed: \(reason)"
        case let .statement(state, operation): "PostgreSQL refused \(operation) (SQLSTATE \(state))"
        case let .unexpectedResult(what): "unexpected PostgreSQL result: \(what)"
        }
    }
}
