/// A statement parameter, sent out of line in PostgreSQL's binary format:
/// values never become SQL text.
public enum PostgresValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case bytes([UInt8])
    case null

    /// The parameter's type OID (`int8`, `text`, `bytea`; 0 lets the server
    /// infer it from where the NULL goes).
    var typeOID: UInt32 {
        switch self {
        case .int: 20
        case .text: 25
        case .bytes: 17
        case .null: 0
        }
    }

    /// The binary wire form (network byte order for integers); nil for NULL.
    var binary: [UInt8]? {
        switch self {
        case let .int(value): withUnsafeBytes(of: value.bigEndian) { Array($0) }
        case let .text(value): Array(value.utf8)
        case let .bytes(value): value
        case .null: nil
        }
    }
}

extension PostgresValue {
    /// A text parameter, or NULL for nil.
    public static func text(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }
    /// A bytea parameter, or NULL for nil.
    public static func bytes(_ value: [UInt8]?) -> PostgresValue { value.map { .bytes($0) } ?? .null }
}
