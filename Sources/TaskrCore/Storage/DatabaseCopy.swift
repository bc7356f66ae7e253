import Foundation

/// `taskr copy-database`: moves a site from SQLite up to PostgreSQL. Copies
/// every row of every table (users with their ids, sessions, Attio
/// connections with their sealed tokens as they are, OAuth states, log-in
/// counters) into an empty PostgreSQL database, in one transaction: the
/// target has all of it or none. Sealed tokens are bound to their user's id,
/// which is kept, so the same `TASKR_SECRET_KEY` opens them there.
///
/// Written over the engine protocol, table by table as the source lists
/// them and column by column as each row comes: the column lists live in
/// the migrations alone.
public enum DatabaseCopy {
    /// How many rows of each table were copied, in the order copied.
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)] = []
    }

    /// Why nothing was copied.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The migrations' own bookkeeping, which each engine keeps for itself.
    private static let bookkeeping: Set<String> = ["taskr_migrations", "grdb_migrations"]

    /// Copies `source` into `target`, which must hold no row yet (its schema
    /// is migrated first). Stop `taskr serve` before: rows written during
    /// the copy would be left behind.
    public static func copy(from source: SQLiteDatabase, to target: PostgresDatabase) throws -> Report {
        try copy(from: source, into: target)
    }

    static func copy(from source: some DatabaseEngine, into target: some DatabaseEngine) throws -> Report {
        let state = try Migrator(engine: source).state()
        guard state.pending.isEmpty, state.unknown.isEmpty else {
            throw Refusal(description: "the source database is not at this build's schema (\(state.version)): run taskr migrate on it first")
        }
        try Migrator(engine: target).migrate()
        // One snapshot of every table, even if a process still writes.
        return try source.snapshot { reading in
            let tables = try reading.all(source.dialect.tablesInCreationOrder, []) { try $0.text(0) }.filter { !bookkeeping.contains($0) }
            return try target.write { writing in
                for table in tables {
                    // Table names come from the source's own catalogue, never input.
                    let rows = try writing.first("SELECT count(*) FROM \(table)", []) { try $0.int64(0) }
                    guard rows == 0 else {
                        throw Refusal(description: "the target database already holds data: copy-database only fills an empty one")
                    }
                }
                var report = Report()
                for table in tables {
                    report.rows.append((table, try copyRows(of: table, from: reading, to: writing)))
                }
                for statement in target.dialect.afterCopy { try writing.execute(statement, []) }
                return report
            }
        }
    }

    /// Copies every row of `table`, each column as it is stored; returns how many.
    private static func copyRows(of table: String, from source: some DatabaseTransaction, to target: some DatabaseTransaction) throws -> Int {
        var columns: [String] = []
        let rows = try source.all("SELECT * FROM \(table)", []) { row in
            if columns.isEmpty { columns = (0..<row.columnCount).map(row.columnName) }
            return try (0..<row.columnCount).map(row.value)
        }
        guard !rows.isEmpty else { return 0 }
        let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
        let insert = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
        for values in rows { try target.execute(insert, values) }
        return rows.count
    }
}
