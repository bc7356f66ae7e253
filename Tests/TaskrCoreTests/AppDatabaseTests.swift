import Foundation
import Testing
@testable import TaskrCore

@Suite("Storage")
struct AppDatabaseTests {
    @Test func databaseFileIsCreatedOwnerOnly() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("new.sqlite3").path
            let previous = umask(0)  // even with a permissive umask
            defer { umask(previous) }
            _ = try AppDatabase(path: path)
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func usesWALAndOpeningTwiceIsHarmless() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taskr.sqlite3").path
            let first = try AppDatabase(path: path)
            let second = try AppDatabase(path: path)  // a second process on the same file
            let mode = try first.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            #expect(first.isAvailable() && second.isAvailable())
        }
    }

    @Test func unopenablePathFails() async throws {
        #expect(throws: (any Error).self) { try AppDatabase(path: "/nonexistent-dir/taskr.sqlite3") }
    }
}
