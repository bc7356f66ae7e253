internal import CLibPQ

/// The rows of one statement, in PostgreSQL's binary format. Owns its
/// `PGresult` and frees it exactly once, in `deinit`.
///
/// Columns are read by position, in the `SELECT`'s order; a getter that
/// meets a type it does not expect throws instead of guessing.
public final class PostgresResult {
    fileprivate let result: OpaquePointer

    init(_ result: OpaquePointer) {
        self.result = result
    }

    deinit { PQclear(result) }

    /// How many rows came back.
    public var count: Int { Int(PQntuples(result)) }

    /// How many rows an `INSERT`, `UPDATE` or `DELETE` touched.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    /// An `int8`, `int4` or `int2` column (SQL `count(*)` is `int8`).
    public func int(_ row: Int, _ column: Int) throws(PostgresError) -> Int64 {
        let bytes = try value(row, column)
        switch (PQftype(result, Int32(column)), bytes.count) {
        case (20, 8), (23, 4), (21, 2):
            // Big-endian, sign-extended from its width.
            let shift = 64 - 8 * bytes.count
            return (bytes.reduce(Int64(0)) { $0 << 8 | Int64($1) } << shift) >> shift
        default:
            throw .unexpectedResult("column \(column) is not an integer")
        }
    }

    /// A `text` (or `varchar`) column, which must be valid UTF-8.
    public func string(_ row: Int, _ column: Int) throws(PostgresError) -> String {
        guard let text = String(validating: try value(row, column), as: UTF8.self) else {
            throw .unexpectedResult("column \(column) is not UTF-8")
        }
        return text
    }

    /// A `bytea` column.
    public func bytes(_ row: Int, _ column: Int) throws(PostgresError) -> [UInt8] {
        try value(row, column)
    }

    public func optionalInt(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        isNull(row, column) ? nil : try int(row, column)
    }

    public func optionalString(_ row: Int, _ column: Int) throws(PostgresError) -> String? {
        isNull(row, column) ? nil : try string(row, column)
    }

    /// The value's bytes, copied out of libpq's buffer.
    private func value(_ row: Int, _ column: Int) throws(PostgresError) -> [UInt8] {
        guard row < count, column < Int(PQnfields(result)) else { throw .unexpectedResult("no row \(row), column \(column)") }
        guard !isNull(row, column) else { throw .unexpectedResult("column \(column) is NULL") }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard let start = PQgetvalue(result, Int32(row), Int32(column)) else { return [] }
        return start.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}

/// One row of a ``PostgresResult``, read by column position.
public struct PostgresRow {
    public let result: PostgresResult
    public let index: Int

    public var columnCount: Int { result.columnCount }
    /// The name of column `column`, as the `SELECT` gives it.
    public func name(_ column: Int) -> String { result.columnName(column) }
    public func isNull(_ column: Int) -> Bool { result.isNull(index, column) }
    public func int(_ column: Int) throws(PostgresError) -> Int64 { try result.int(index, column) }
    public func string(_ column: Int) throws(PostgresError) -> String { try result.string(index, column) }
    public func bytes(_ column: Int) throws(PostgresError) -> [UInt8] { try result.bytes(index, column) }
    public func optionalInt(_ column: Int) throws(PostgresError) -> Int64? { try result.optionalInt(index, column) }
    public func optionalString(_ column: Int) throws(PostgresError) -> String? { try result.optionalString(index, column) }
    public func optionalBytes(_ column: Int) throws(PostgresError) -> [UInt8]? {
        isNull(column) ? nil : try bytes(column)
    }
    /// The column's type OID: `int8` 20, `int4` 23, `int2` 21, `text` 25, `bytea` 17.
    public func typeOID(_ column: Int) -> UInt32 { result.typeOID(column) }
}

extension PostgresResult {
    /// How many columns each row has.
    public var columnCount: Int { Int(PQnfields(result)) }

    /// The name of column `column`.
    public func columnName(_ column: Int) -> String { PQfname(result, Int32(column)).map { String(cString: $0) } ?? "" }

    /// The type OID of column `column`.
    public func typeOID(_ column: Int) -> UInt32 { UInt32(PQftype(result, Int32(column))) }

    /// Row `index`.
    public subscript(index: Int) -> PostgresRow { PostgresRow(result: self, index: index) }

    /// Every row, in order.
    public var rows: [PostgresRow] { (0..<count).map { self[$0] } }
}
