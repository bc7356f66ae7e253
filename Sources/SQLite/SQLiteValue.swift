/// A value bound to a statement's placeholder, or read from a column by
/// its stored type: SQLite's four storage classes and NULL (real numbers are
/// not used by Taskr).
public enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}
