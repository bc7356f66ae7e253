/// A SQLite operation that failed: the result code, SQLite's message (which
/// names tables and columns, never a bound value) and the statement's first
/// words, never the values bound to it.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The primary result code (`SQLITE_BUSY` is 5, `SQLITE_CONSTRAINT` 19…).
    public let code: Int32
    /// SQLite's own message ("UNIQUE constraint failed: users.username_key").
    public let message: String
    /// The statement's first words ("INSERT INTO users"), if a statement failed.
    public let operation: String?

    init(code: Int32, message: String, operation: String? = nil) {
        self.code = code & 0xff
        self.message = message
        self.operation = operation
    }

    /// Another connection holds the lock and the busy timeout ran out.
    public var isBusy: Bool { code == 5 || code == 6 }  // SQLITE_BUSY, SQLITE_LOCKED

    /// A constraint (unique, foreign key, not null) refused the statement.
    public var isConstraint: Bool { code == 19 }

    public var description: String {
        "SQLite error \(code): \(message)" + (operation.map { " (\($0))" } ?? "")
    }

    /// The first three words of `sql`: enough to tell which statement.
    static func operation(of sql: String) -> String {
        sql.split(whereSeparator: \.isWhitespace).prefix(3).joined(separator: " ")
    }
}
