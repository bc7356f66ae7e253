import Postgres

extension PostgresRow: DatabaseRow {
    func columnName(_ column: Int) -> String { name(column) }
    func int64(_ column: Int) throws -> Int64 { try int(column) }
    func optionalInt64(_ column: Int) throws -> Int64? { try optionalInt(column) }
    func text(_ column: Int) throws -> String { try string(column) }
    func optionalText(_ column: Int) throws -> String? { try optionalString(column) }
    func blob(_ column: Int) throws -> [UInt8] { try bytes(column) }
    func optionalBlob(_ column: Int) throws -> [UInt8]? { try optionalBytes(column) }

    func value(_ column: Int) throws -> DatabaseValue {
        if isNull(column) { return .null }
        switch typeOID(column) {
        case 20, 23, 21: return .integer(try int(column))
        case 17: return .blob(try bytes(column))
        default: return .text(try string(column))
        }
    }
}

extension DatabaseValue {
    /// The value as libpq sends it (binary, out of line).
    var postgres: PostgresValue {
        switch self {
        case let .integer(value): .int(value)
        case let .text(value): .text(value)
        case let .blob(value): .bytes(value)
        case .null: .null
        }
    }
}
