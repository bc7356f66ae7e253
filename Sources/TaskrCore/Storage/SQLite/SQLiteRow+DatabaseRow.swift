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
