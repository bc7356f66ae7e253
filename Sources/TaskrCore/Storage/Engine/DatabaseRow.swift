/// One row of a result, read by position in the `SELECT`'s order: what the
/// record mappings (`Storage/Records/`) read, on either engine. A getter
/// that meets NULL (or another type) where it expects a value throws.
protocol DatabaseRow {
    var columnCount: Int { get }
    /// The name of column `column`, as the `SELECT` gives it.
    func columnName(_ column: Int) -> String
    func int64(_ column: Int) throws -> Int64
    func optionalInt64(_ column: Int) throws -> Int64?
    func text(_ column: Int) throws -> String
    func optionalText(_ column: Int) throws -> String?
    func blob(_ column: Int) throws -> [UInt8]
    func optionalBlob(_ column: Int) throws -> [UInt8]?
    /// The column as it is stored (``DatabaseCopy`` moves values as they are).
    func value(_ column: Int) throws -> DatabaseValue
}
