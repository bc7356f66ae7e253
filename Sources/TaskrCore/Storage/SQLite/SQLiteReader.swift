import GRDB
import GRDBSQLite

/// A value bound to a `?` of a ``SQLiteReader`` statement.
enum SQLiteArgument {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// One read-only SQLite connection owned by one thread (``ThreadReaders``),
/// for the read every page makes: SQLite's C interface, as GRDB links it,
/// with each statement prepared once and kept.
///
/// Why not a GRDB `DatabaseQueue`: every read through one hops onto the
/// queue (libdispatch) and binds through `StatementArguments`; on the page
/// path that cost as much as SQLite's own work (callgrind, README's
/// Performance section). Migrations, writes and the other reads stay on
/// GRDB's pool. Not `Sendable`: one thread opens, uses and closes it.
final class SQLiteReader {
    private let connection: OpaquePointer
    /// Prepared statements by SQL text; a handful, looked up by `==`, which
    /// is immediate for the same string literal.
    private var statements: [(sql: String, handle: OpaquePointer)] = []
    private let observer: StatementObserver?

    /// Opens `path` read-only, without SQLite's per-connection mutex (one
    /// thread uses it), with the busy timeout and a small page cache (one
    /// connection per worker; the operating system caches the file anyway).
    init(path: String, busyTimeout: Double, statementObserver: (@Sendable (String) -> Void)?) throws {
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(opened)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        connection = opened
        observer = statementObserver.map(StatementObserver.init)
        sqlite3_busy_timeout(connection, Int32(busyTimeout * 1000))
        if let observer {
            // The observer lives as long as the connection (released in deinit).
            sqlite3_trace_v2(
                connection, UInt32(SQLITE_TRACE_STMT),
                { _, context, statement, _ in
                    guard let context, let statement else { return 0 }
                    let observer = Unmanaged<StatementObserver>.fromOpaque(context).takeUnretainedValue()
                    observer.notify(String(cString: sqlite3_sql(OpaquePointer(statement))))
                    return 0
                }, Unmanaged.passUnretained(observer).toOpaque())
        }
        try execute("PRAGMA cache_size = -256")
    }

    deinit {
        for statement in statements { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(connection)
    }

    /// The first row of a single `SELECT`, mapped; without a transaction
    /// around it (one statement reads one consistent snapshot anyway).
    func fetchOne<T>(_ sql: String, arguments: [SQLiteArgument], _ map: (SQLiteRow) throws -> T) throws -> T? {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, argument) in zip(Int32(1)..., arguments) {
            try check(bind(argument, at: index, of: statement), sql)
        }
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return try map(SQLiteRow(statement: statement))
        case SQLITE_DONE: return nil
        case let code: throw error(code, sql)
        }
    }

    private func bind(_ argument: SQLiteArgument, at index: Int32, of statement: OpaquePointer) -> Int32 {
        switch argument {
        case let .integer(value):
            return sqlite3_bind_int64(statement, index, value)
        case var .text(value):
            // By its byte length: a NUL inside the text is bound too.
            return value.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
        case let .blob(bytes):
            return bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let found = statements.first(where: { $0.sql == sql }) { return found.handle }
        var handle: OpaquePointer?
        try check(sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil), sql)
        guard let handle else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "no statement", sql: sql) }
        statements.append((sql, handle))
        return handle
    }

    private func execute(_ sql: String) throws {
        try check(sqlite3_exec(connection, sql, nil, nil, nil), sql)
    }

    private func check(_ code: Int32, _ sql: String) throws {
        guard code == SQLITE_OK else { throw error(code, sql) }
    }

    private func error(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }

    /// SQLite copies bound values before `bind` returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// The test hook of ``AppDatabase``'s statement observer, as an object that
/// SQLite's trace callback can reach through its context pointer.
private final class StatementObserver {
    let notify: @Sendable (String) -> Void
    init(_ notify: @escaping @Sendable (String) -> Void) { self.notify = notify }
}
