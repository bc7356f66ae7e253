internal import CLibPQ
import Foundation

/// One libpq connection (`PGconn`), owned by exactly one Swift value and
/// closed in `deinit`.
///
/// Every statement goes out with its parameters out of line
/// (`PQprepare` once per connection, then `PQexecPrepared`, binary
/// parameters and results): no value is ever spliced into SQL text.
///
/// - Warning: not thread-safe. One thread uses a connection at a time;
///   Taskr keeps one per worker thread.
public final class PostgresConnection {
    private let connection: OpaquePointer
    /// SQL text (and parameter types) → the name it was prepared under.
    private var prepared: [PreparedKey: String] = [:]

    private struct PreparedKey: Hashable {
        let sql: String
        let types: [UInt32]
    }

    /// Connects.
    /// - Parameters:
    ///   - conninfo: a `postgresql://` URI or `key=value` string, as libpq
    ///     reads it (unix-socket hosts, several hosts, `sslmode`…).
    ///   - connectTimeout: seconds to wait for a server, unless `conninfo`
    ///     sets its own `connect_timeout`.
    public init(_ conninfo: String, connectTimeout: Int = 5) throws(PostgresError) {
        // Keywords in order, later ones winning: the URI (expanded from
        // `dbname`) overrides the default timeout when it names one.
        // Read by libpq's own parser first: connecting with a string it
        // cannot read would put its message, which quotes the string
        // (password and all), in the error.
        guard PostgresConnectionString.isValid(conninfo) else { throw .connection("the connection string is not one libpq can read") }
        let keywords = ["connect_timeout", "application_name", "dbname"]
        let values = [String(connectTimeout), "taskr", conninfo]
        let connection = keywords.withCStrings { keywordPointers in
            values.withCStrings { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection else { throw .connection("out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = PostgresConnectionString.scrub(Self.firstLine(PQerrorMessage(connection)), of: conninfo)
            PQfinish(connection)
            throw .connection(reason)
        }
        // libpq prints the server's notices on stderr by default; they are
        // chatter (a cascade's list of tables) and may quote values.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.connection = connection
    }

    deinit { PQfinish(connection) }

    /// Whether the connection is still up as far as libpq knows (it learns
    /// of a loss on the next statement).
    public var isOpen: Bool { PQstatus(connection) == CONNECTION_OK }

    /// Runs one statement and returns its rows (none for a statement that
    /// returns none).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        let name = try statementName(sql, types: parameters.map(\.typeOID))
        let values = parameters.map(\.binary)
        let lengths = values.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: values.count)
        let result = values.withOptionalBufferPointers { pointers in
            PQexecPrepared(connection, name, Int32(values.count), pointers, lengths, formats, 1)
        }
        return try check(result, sql)
    }

    /// Runs `body` in one transaction: committed when it returns, rolled
    /// back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try command("BEGIN")
        do {
            let value = try body()
            try command("COMMIT")
            return value
        } catch {
            if isOpen { try? command("ROLLBACK") }
            throw error
        }
    }

    /// A statement with neither parameters nor rows (`BEGIN`, DDL in a
    /// migration), through the simple query protocol.
    public func command(_ sql: String) throws(PostgresError) {
        try check(PQexec(connection, sql), sql)
    }

    /// The name `sql` is prepared under on this connection, preparing it
    /// the first time.
    private func statementName(_ sql: String, types: [UInt32]) throws(PostgresError) -> String {
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        let name = "taskr_\(prepared.count + 1)"
        try check(PQprepare(connection, name, sql, Int32(types.count), types.map { Oid($0) }), sql)
        prepared[key] = name
        return name
    }

    /// The result if the statement succeeded; otherwise frees it and throws
    /// the SQLSTATE (or the lost connection), never the message's values.
    @discardableResult
    private func check(_ result: OpaquePointer?, _ sql: String) throws(PostgresError) -> PostgresResult {
        guard let result else { throw .connection(Self.firstLine(PQerrorMessage(connection))) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return PostgresResult(result)
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            PQclear(result)
            if PQstatus(connection) != CONNECTION_OK || state == nil {
                // Statements prepared on a lost connection are gone with it.
                prepared = [:]
                throw .connection(Self.firstLine(PQerrorMessage(connection)))
            }
            throw .statement(sqlState: state ?? "?????", operation: Self.operation(sql))
        }
    }

    /// The statement's first words ("INSERT INTO users"): enough to tell
    /// which failed, and fixed text, never a value.
    private static func operation(_ sql: String) -> String {
        sql.split(whereSeparator: \.isWhitespace).prefix(3).joined(separator: " ")
    }

    private static func firstLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        let line = String(cString: message).split(separator: "\n").first.map(String.init) ?? ""
        return line.isEmpty ? "unknown error" : line
    }
}

extension Array where Element == String {
    /// The strings as a NULL-terminated array of C strings, valid inside `body`.
    fileprivate func withCStrings<R>(_ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { UnsafePointer($0) } + [nil])
    }
}

extension Array where Element == [UInt8]? {
    /// Pointers to each value's bytes (nil for NULL), valid inside `body`.
    fileprivate func withOptionalBufferPointers<R>(_ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = map { value in
            guard let value else { return nil }
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: Swift.max(1, value.count))
            value.withUnsafeBytes { bytes in
                if let start = bytes.bindMemory(to: CChar.self).baseAddress { copy.update(from: start, count: value.count) }
            }
            return copy
        }
        defer { for copy in copies { copy?.deallocate() } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}
