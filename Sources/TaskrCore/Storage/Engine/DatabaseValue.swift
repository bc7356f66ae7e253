/// A value bound to a `$n` placeholder of a statement, or read from a
/// column, whichever engine runs it.
enum DatabaseValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

extension DatabaseValue {
    static func text(_ value: String?) -> DatabaseValue { value.map { .text($0) } ?? .null }
    static func blob(_ value: [UInt8]?) -> DatabaseValue { value.map { .blob($0) } ?? .null }
}
