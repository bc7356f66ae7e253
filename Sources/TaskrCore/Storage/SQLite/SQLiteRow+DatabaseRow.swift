import SQLite

extension SQLiteRow: DatabaseRow {
    func columnName(_ column: Int) -> String { name(column) }

    func value(_ column: Int) throws -> DatabaseValue {
        switch try value(column) as SQLiteValue {
        case let .integer(value): .integer(value)
        case let .text(value): .text(value)
        case let .blob(value): .blob(value)
        case .null: .null
        }
    }
}

extension DatabaseValue {
    /// The value as SQLite binds it.
    var sqlite: SQLiteValue {
        switch self {
        case let .integer(value): .integer(value)
        case let .text(value): .text(value)
        case let .blob(value): .blob(value)
        case .null: .null
        }
    }
}

extension Array where Element == DatabaseValue {
    /// The values as SQLite binds them, in a buffer on the stack for the
    /// length of `body`: the page read allocates no second array.
    func withSQLiteValues<R>(_ body: (UnsafeBufferPointer<SQLiteValue>) throws -> R) throws -> R {
        try withUnsafeTemporaryAllocation(of: SQLiteValue.self, capacity: count) { buffer in
            for (index, value) in enumerated() { (buffer.baseAddress! + index).initialize(to: value.sqlite) }
            defer { buffer.baseAddress!.deinitialize(count: count) }
            return try body(UnsafeBufferPointer(buffer))
        }
    }
}
