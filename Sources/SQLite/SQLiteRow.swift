internal import CSQLite

/// The current row of a stepped statement: typed getters over SQLite's
/// `sqlite3_column_*`, by position in the `SELECT`'s order. Valid only
/// inside the closure it is handed to.
///
/// A getter that meets NULL where it expects a value throws instead of
/// crashing or guessing.
public struct SQLiteRow {
    let statement: OpaquePointer

    /// How many columns the statement returns.
    public var columnCount: Int { Int(sqlite3_column_count(statement)) }

    /// The name of column `column`, as the `SELECT` gives it.
    public func name(_ column: Int) -> String {
        sqlite3_column_name(statement, Int32(column)).map { String(cString: $0) } ?? ""
    }

    public func isNull(_ column: Int) -> Bool {
        sqlite3_column_type(statement, Int32(column)) == SQLITE_NULL
    }

    /// An integer column that is never NULL.
    public func int64(_ column: Int) throws(SQLiteError) -> Int64 {
        guard let value = optionalInt64(column) else { throw unexpectedNull(column) }
        return value
    }

    public func optionalInt64(_ column: Int) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(statement, Int32(column))
    }

    /// A text column that is never NULL.
    public func text(_ column: Int) throws(SQLiteError) -> String {
        guard let value = optionalText(column) else { throw unexpectedNull(column) }
        return value
    }

    public func optionalText(_ column: Int) -> String? {
        guard let text = sqlite3_column_text(statement, Int32(column)) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, Int32(column)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// A blob column that is never NULL (an empty blob reads as `[]`).
    public func blob(_ column: Int) throws(SQLiteError) -> [UInt8] {
        guard let value = optionalBlob(column) else { throw unexpectedNull(column) }
        return value
    }

    public func optionalBlob(_ column: Int) -> [UInt8]? {
        guard !isNull(column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, Int32(column)))
        guard count > 0, let bytes = sqlite3_column_blob(statement, Int32(column)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// The column as it is stored (a copy between databases keeps each
    /// value's storage class).
    public func value(_ column: Int) throws(SQLiteError) -> SQLiteValue {
        switch sqlite3_column_type(statement, Int32(column)) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, Int32(column)))
        case SQLITE_TEXT: .text(optionalText(column) ?? "")
        case SQLITE_BLOB: .blob(optionalBlob(column) ?? [])
        default: throw SQLiteError(code: SQLITE_MISMATCH, message: "column \(column) holds a real number")
        }
    }

    private func unexpectedNull(_ column: Int) -> SQLiteError {
        SQLiteError(code: SQLITE_MISMATCH, message: "column \(column) is NULL")
    }
}
