import Foundation
import GRDB
import GRDBSQLite

/// The current row of a statement that ``SQLiteReader/fetchOne(_:arguments:_:)``
/// has stepped: typed getters over SQLite's `sqlite3_column_*`, by position
/// in the `SELECT`'s order.
///
/// Why not GRDB's `Row` here: the page read runs on every request, and
/// GRDB's row, cursor and generic decoding cost three times what SQLite
/// spends on the query itself (callgrind, README's Performance section).
struct SQLiteRow {
    let statement: OpaquePointer

    /// An integer column that is never NULL.
    func int64(_ column: Int32) throws -> Int64 {
        guard let value = optionalInt64(column) else { throw unexpectedNull(column) }
        return value
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }

    /// A text column that is never NULL.
    func text(_ column: Int32) throws -> String {
        guard let value = optionalText(column) else { throw unexpectedNull(column) }
        return value
    }

    func optionalText(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(statement, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }

    /// A blob column that is never NULL (an empty blob reads as `[]`).
    func blob(_ column: Int32) throws -> [UInt8] {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL else { throw unexpectedNull(column) }
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    private func unexpectedNull(_ column: Int32) -> DatabaseError {
        DatabaseError(resultCode: .SQLITE_MISMATCH, message: "column \(column) is NULL")
    }
}
