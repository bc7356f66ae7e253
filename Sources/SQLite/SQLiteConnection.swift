internal import CSQLite

/// One SQLite connection (`sqlite3 *`), owned by exactly one Swift value and
/// closed in `deinit`, in the manner of ``Postgres``'s `PostgresConnection`.
///
/// Every statement is prepared once per connection and kept; values are
/// bound out of line, never spliced into SQL text. SQL is written with
/// PostgreSQL's `$1`, `$2`… placeholders, which are rewritten once, at
/// prepare, into SQLite's numbered `?1`, `?2`… (same numbers, so a value used
/// twice is bound once), so one SQL text serves both engines.
///
/// - Warning: not thread-safe (opened without SQLite's per-connection
///   mutex). One thread uses a connection; Taskr keeps one per thread.
public final class SQLiteConnection {
    private let connection: OpaquePointer
    /// Prepared statements by SQL text: a few dozen, looked up by length
    /// first (immediate for a native string), then by `==` (immediate for
    /// the same string literal).
    private var statements: [(length: Int, sql: String, handle: OpaquePointer)] = []
    private let observer: StatementObserver?

    /// Opens the database at `path` with `options` (WAL, synchronous FULL,
    /// foreign keys, busy timeout, cache size).
    /// - Parameter create: create the file if it is missing (else a missing
    ///   file is an error).
    /// - Throws: `SQLITE_BUSY` at once, without the busy timeout, while
    ///   another process is switching a new file to WAL: the caller retries.
    public init(path: String, options: SQLiteOptions, create: Bool = false) throws(SQLiteError) {
        _ = Self.configured
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0)
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(opened)
            throw SQLiteError(code: code, message: message)
        }
        connection = opened
        observer = options.statementObserver.map(StatementObserver.init)
        sqlite3_busy_timeout(connection, Int32(options.busyTimeout * 1000))
        sqlite3_extended_result_codes(connection, 0)
        try run(options.pragmas)
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
    }

    /// SQLite's process-wide configuration, made once before the first
    /// connection opens: memory statistics off (each allocation would
    /// otherwise take one global mutex that every thread's reads contend for).
    private static let configured: Int32 = taskr_sqlite_disable_memory_statistics()

    deinit {
        for statement in statements { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(connection)
    }

    /// Steps one statement, handing each row to `body` until it returns
    /// false or the rows end: the one non-generic primitive that ``first(_:_:_:)``
    /// and ``all(_:_:_:)`` are built on (they inline into their callers,
    /// so the page read pays for no generic dispatch across the module).
    public func step(_ sql: String, _ arguments: [SQLiteValue], _ body: (SQLiteRow) throws -> Bool) throws {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, argument) in zip(Int32(1)..., arguments) {
            let code = bind(argument, at: index, of: statement)
            guard code == SQLITE_OK else { throw error(code, sql) }
        }
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: if try !body(SQLiteRow(statement: statement)) { return }
            case SQLITE_DONE: return
            case let code: throw error(code, sql)
            }
        }
    }

    /// The first row of one statement, mapped; nil when it returns none.
    @inlinable
    public func first<T>(_ sql: String, _ arguments: [SQLiteValue] = [], _ map: (SQLiteRow) throws -> T) throws -> T? {
        var result: T?
        try step(sql, arguments) { row in
            result = try map(row)
            return false
        }
        return result
    }

    /// Every row of one statement, mapped, in order.
    @inlinable
    public func all<T>(_ sql: String, _ arguments: [SQLiteValue] = [], _ map: (SQLiteRow) throws -> T) throws -> [T] {
        var rows: [T] = []
        try step(sql, arguments) { row in
            rows.append(try map(row))
            return true
        }
        return rows
    }

    /// Runs one statement to its end; returns how many rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> Int {
        try step(sql, arguments) { _ in true }
        return Int(sqlite3_changes64(connection))
    }

    /// Runs statements without parameters or rows (pragmas, `BEGIN`, DDL),
    /// not kept prepared.
    public func run(_ script: String) throws(SQLiteError) {
        let code = sqlite3_exec(connection, script, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, script) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled
    /// back when it throws.
    /// - Parameter immediate: take the write lock at `BEGIN` (`BEGIN
    ///   IMMEDIATE`), so no other connection writes between what `body`
    ///   reads and what it writes, and a write never fails half-way on a
    ///   stale snapshot (WAL's `SQLITE_BUSY_SNAPSHOT`).
    public func transaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        try run(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let value = try body()
            try run("COMMIT")
            return value
        } catch {
            if sqlite3_get_autocommit(connection) == 0 { try? run("ROLLBACK") }
            throw error
        }
    }

    private func bind(_ argument: SQLiteValue, at index: Int32, of statement: OpaquePointer) -> Int32 {
        switch argument {
        case let .integer(value):
            return sqlite3_bind_int64(statement, index, value)
        case var .text(value):
            // By its byte length: a NUL inside the text is bound too. An
            // empty text needs a pointer all the same (NULL would bind NULL).
            guard !value.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, taskr_sqlite_transient()) }
            return value.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) {
                    sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), taskr_sqlite_transient())
                }
            }
        case let .blob(bytes):
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), taskr_sqlite_transient()) }
        case .null:
            return sqlite3_bind_null(statement, index)
        }
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        let length = sql.utf8.count
        if let found = statements.first(where: { $0.length == length && $0.sql == sql }) { return found.handle }
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, Self.numberedPlaceholders(sql), -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard code == SQLITE_OK else { throw error(code, sql) }
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "no statement", operation: SQLiteError.operation(of: sql)) }
        statements.append((length, sql, handle))
        return handle
    }

    /// `sql` with each `$n` placeholder outside quotes as SQLite's `?n`.
    static func numberedPlaceholders(_ sql: String) -> String {
        var bytes = Array(sql.utf8)
        var quote: UInt8?
        for index in bytes.indices {
            let byte = bytes[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
            } else if byte == UInt8(ascii: "$"), index + 1 < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index + 1]) {
                bytes[index] = UInt8(ascii: "?")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func error(_ code: Int32, _ sql: String) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(connection)), operation: SQLiteError.operation(of: sql))
    }
}

/// The statement observer, as an object that SQLite's trace callback can
/// reach through its context pointer.
private final class StatementObserver {
    let notify: @Sendable (String) -> Void
    init(_ notify: @escaping @Sendable (String) -> Void) { self.notify = notify }
}
