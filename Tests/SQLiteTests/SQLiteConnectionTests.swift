import Foundation
import SQLite
import TestSupport
import Testing

@testable import SQLite

@Suite("SQLite wrapper")
struct SQLiteConnectionTests {
    /// Runs `body` on a connection to a new database file.
    private func withConnection<T>(_ body: (SQLiteConnection, String) throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("wrapper.sqlite3").path
            return try body(try SQLiteConnection(path: path, options: SQLiteOptions(), create: true), path)
        }
    }

    /// Every argument kind binds, every column kind reads back byte for
    /// byte, and a NULL where a value must be is an error, never a crash.
    @Test func bindsAndReadsEveryKindAndRefusesAnUnexpectedNull() async throws {
        try await withConnection { connection, _ in
            let blob: [UInt8] = [0, 255, 10, 13, 0, 1]
            try connection.run("CREATE TABLE kinds (i INTEGER, t TEXT, b BLOB, n TEXT)")
            try connection.execute("INSERT INTO kinds VALUES ($1, 'é' || char(0) || '日本 ', $2, NULL)", [.integer(Int64.min), .blob(blob)])
            try connection.execute("INSERT INTO kinds VALUES (7, $1, $2, $3)", [.text(""), .blob([]), .null])
            let sql = "SELECT i, t, b, n FROM kinds WHERE i = $1 OR t = $2 OR b = $3"
            let first = try connection.first(sql, [.integer(0), .text("é\u{0}日本 "), .blob([9])]) { row in
                (try row.int64(0), try row.text(1), try row.blob(2), row.optionalText(3))
            }
            #expect(first?.0 == Int64.min)
            #expect(first.map { Array($0.1.utf8) } == Array("é\u{0}日本 ".utf8))
            #expect(first?.2 == blob)
            #expect(first?.3 == nil)
            // An empty text and an empty blob are values, not NULL.
            let empty = try connection.first(sql, [.integer(0), .text(""), .blob([])]) { row in
                (try row.value(1), try row.value(2), try row.value(3))
            }
            #expect(empty?.0 == .text("") && empty?.1 == .blob([]) && empty?.2 == .null)
            #expect(try connection.first(sql, [.integer(1), .text("x"), .blob([1])]) { try $0.int64(0) } == nil)
            #expect(throws: SQLiteError.self) {
                try connection.first(sql, [.integer(7), .text(""), .blob([])]) { try $0.text(3) }
            }
            // The statement is reset after the error: the next read works.
            #expect(try connection.first(sql, [.integer(7), .text(""), .blob([])]) { try $0.int64(0) } == 7)
            #expect(try connection.all("SELECT i FROM kinds ORDER BY i", []) { try $0.int64(0) } == [Int64.min, 7])
        }
    }

    /// One SQL text for both engines: `$n` becomes `?n` outside quotes, so a
    /// value used twice is bound once and `$` inside a literal stays.
    @Test func numberedPlaceholdersAreRewrittenOutsideQuotesOnly() async throws {
        #expect(SQLiteConnection.numberedPlaceholders("SELECT $1, '$2', \"$3\", $12 WHERE x = $1") == "SELECT ?1, '$2', \"$3\", ?12 WHERE x = ?1")
        try await withConnection { connection, _ in
            let joined = try connection.first("SELECT $2 || '$1' || $1", [.text("a"), .text("b")]) { try $0.text(0) }
            #expect(joined == "b$1a")
        }
    }

    @Test func errorsNameTheStatementNeverItsValues() async throws {
        try await withConnection { connection, _ in
            try connection.run("CREATE TABLE u (name TEXT UNIQUE)")
            try connection.execute("INSERT INTO u VALUES ($1)", [.text("secret-value")])
            do {
                try connection.execute("INSERT INTO u VALUES ($1)", [.text("secret-value")])
                Issue.record("a duplicate was inserted")
            } catch let error as SQLiteError {
                #expect(error.isConstraint)
                #expect(error.operation == "INSERT INTO u")
                #expect(!error.description.contains("secret-value"))
            }
        }
    }

    @Test func aTransactionThatThrowsLeavesNothing() async throws {
        try await withConnection { connection, _ in
            try connection.run("CREATE TABLE t (x INTEGER)")
            struct Planted: Error {}
            #expect(throws: Planted.self) {
                try connection.transaction(immediate: true) {
                    try connection.execute("INSERT INTO t VALUES (1)")
                    throw Planted()
                }
            }
            #expect(try connection.first("SELECT count(*) FROM t") { try $0.int64(0) } == 0)
        }
    }

    @Test func busyIsReportedAfterTheTimeout() async throws {
        try await withConnection { connection, path in
            let other = try SQLiteConnection(path: path, options: SQLiteOptions(busyTimeout: 0.05))
            try connection.run("BEGIN IMMEDIATE")
            do {
                try other.run("BEGIN IMMEDIATE")
                Issue.record("two writers held the lock")
            } catch let error as SQLiteError {
                #expect(error.isBusy)
            }
            try connection.run("ROLLBACK")
        }
    }
}
