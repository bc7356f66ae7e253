import Foundation
import Postgres
import TestSupport
import Testing

@testable import TaskrCore

/// The engines the store suite runs on: SQLite always, and PostgreSQL when
/// `TASKR_TEST_POSTGRES` names a server (`make unit-test` starts a
/// throw-away cluster and sets it: Tests/postgres/with-cluster.sh).
enum StoreEngine: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The PostgreSQL server the tests may use, if any.
    static var postgresURI: String? {
        ProcessInfo.processInfo.environment["TASKR_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// SQLite, and PostgreSQL when there is a server to run on.
    static var available: [StoreEngine] { postgresURI == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// Runs `body` on a new, empty, migrated database of `engine`, removed
/// afterwards: a temporary SQLite file, or a PostgreSQL schema of its own
/// (the URI's `search_path` points there), so tests run side by side.
func withTemporaryDatabase<T>(_ engine: StoreEngine, migrating: Bool = true, _ body: (TaskrDatabase) throws -> T) throws -> T {
    switch engine {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskr-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(.sqlite(try SQLiteDatabase(path: directory.appendingPathComponent("taskr.sqlite3").path, migrating: migrating)))
    case .postgres:
        return try withTemporaryPostgresSchema { uri in
            try body(.postgres(try PostgresDatabase(conninfo: uri, migrating: migrating)))
        }
    }
}

/// Runs `body` with the URI of a new, empty schema on the test server,
/// dropped afterwards.
func withTemporaryPostgresSchema<T>(_ body: (String) throws -> T) throws -> T {
    guard let server = StoreEngine.postgresURI else { throw PostgresNotConfigured() }
    let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let admin = try PostgresConnection(server)
    // A generated identifier, not input: DDL cannot take it as a parameter.
    try admin.command("CREATE SCHEMA \(schema)")
    defer { try? admin.command("DROP SCHEMA \(schema) CASCADE") }
    return try body(server + "&options=-csearch_path%3D\(schema)")
}

struct PostgresNotConfigured: Error, CustomStringConvertible {
    var description: String { "TASKR_TEST_POSTGRES is not set: run the tests through Tests/postgres/with-cluster.sh (make unit-test)" }
}

@Suite("Storage: engines under test")
struct StoreEngineTests {
    /// `make unit-test` must not pass with PostgreSQL silently left out.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TASKR_TEST_REQUIRE_POSTGRES"] == "1"))
    func postgresIsUnderTestWhenRequired() {
        #expect(StoreEngine.available == [.sqlite, .postgres])
    }
}

/// A new, empty database of `engine` that lives as long as this value: a
/// temporary SQLite file, or a PostgreSQL schema of its own, removed in
/// `deinit`. ``open(statementObserver:)`` may be called again, as a restart
/// of `taskr serve` would open the same database.
final class TemporaryDatabase {
    let engine: StoreEngine
    /// The SQLite file (SQLite only).
    let path: String
    private let directory: URL
    private var schema: String?
    private var uri: String?

    init(_ engine: StoreEngine) throws {
        self.engine = engine
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskr-db-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("taskr.sqlite3").path
        if engine == .postgres {
            guard let server = StoreEngine.postgresURI else { throw PostgresNotConfigured() }
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            // A generated identifier, not input: DDL cannot take it as a parameter.
            try PostgresConnection(server).command("CREATE SCHEMA \(schema)")
            self.schema = schema
            uri = server + "&options=-csearch_path%3D\(schema)"
        }
    }

    deinit {
        if let schema, let server = StoreEngine.postgresURI {
            try? PostgresConnection(server).command("DROP SCHEMA \(schema) CASCADE")
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Opens (and migrates) the database; the observer sees SQLite's statements.
    func open(busyTimeout: Double = 5, statementObserver: (@Sendable (String) -> Void)? = nil) throws -> TaskrDatabase {
        switch engine {
        case .sqlite: .sqlite(try SQLiteDatabase(path: path, busyTimeout: busyTimeout, statementObserver: statementObserver))
        case .postgres: .postgres(try PostgresDatabase(conninfo: uri!))
        }
    }
}

/// Engine-neutral reads and writes for tests that look past the stores
/// (what is stored, byte for byte) or break the database on purpose: one
/// SQL text for both engines, as the tables are written.
extension TaskrDatabase {
    func count(_ table: String) throws -> Int { Int(try integers("SELECT count(*) FROM \(table)").first ?? -1) }
    func integers(_ sql: String, _ arguments: [DatabaseValue] = []) throws -> [Int64] {
        try column(sql, arguments, engine) { try $0.int64(0) }
    }
    func texts(_ sql: String, _ arguments: [DatabaseValue] = []) throws -> [String] {
        try column(sql, arguments, engine) { try $0.text(0) }
    }
    func blobs(_ sql: String, _ arguments: [DatabaseValue] = []) throws -> [[UInt8]] {
        try column(sql, arguments, engine) { try $0.blob(0) }
    }
    /// Every column of every row, as stored.
    func rows(_ sql: String) throws -> [[DatabaseValue]] {
        try column(sql, [], engine) { row in try (0..<row.columnCount).map(row.value) }
    }
    func execute(_ sql: String, _ arguments: [DatabaseValue] = []) throws {
        try executing(sql, arguments, engine)
    }
}

private func column<T>(_ sql: String, _ arguments: [DatabaseValue], _ engine: some DatabaseEngine, _ map: (any DatabaseRow) throws -> T) throws -> [T]
{
    try engine.all(sql, arguments) { try map($0) }
}

private func executing(_ sql: String, _ arguments: [DatabaseValue], _ engine: some DatabaseEngine) throws {
    try engine.execute(sql, arguments)
}
