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
        return try body(.sqlite(try AppDatabase(path: directory.appendingPathComponent("taskr.sqlite3").path, migrating: migrating)))
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
