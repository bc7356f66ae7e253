import Dispatch
import Foundation
import Synchronization
import Testing

@testable import TaskrCore

@Suite("Storage")
struct AppDatabaseTests {
    @Test func databaseFileIsCreatedOwnerOnly() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("new.sqlite3").path
            // The mode is chosen explicitly, not left to the umask: a umask
            // that would allow more is not needed to show it, and changing
            // the process-wide umask would race the suites running alongside.
            let database = try AppDatabase(path: path)
            try database.write { try $0.execute(sql: "CREATE TABLE t (x)") }  // so the WAL has content
            for file in [path, path + "-wal", path + "-shm"] {
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file)")
            }
            withExtendedLifetime(database) {}
        }
    }

    @Test func usesWALAndOpeningTwiceIsHarmless() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taskr.sqlite3").path
            let first = try AppDatabase(path: path)
            let second = try AppDatabase(path: path)  // a second process on the same file
            let mode = try first.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            // FULL (2): a commit is on disk before the 303 that reports it.
            #expect(try first.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
            #expect(first.isAvailable() && second.isAvailable())
        }
    }

    /// `spawn-fcgi -F N` starts N processes on a new file at the same instant:
    /// every one of them must come up, and the schema be migrated once.
    @Test func processesStartingTogetherOnANewFileAllOpenIt() async throws {
        try await withTemporaryDirectory { directory in
            for round in 0..<5 {
                let path = directory.appendingPathComponent("race-\(round).sqlite3").path
                let failures = Mutex<[String]>([])
                DispatchQueue.concurrentPerform(iterations: 8) { _ in
                    do {
                        _ = try AppDatabase(path: path)
                    } catch {
                        failures.withLock { $0.append(String(describing: error)) }
                    }
                }
                #expect(failures.withLock { $0 } == [])
                let database = try AppDatabase(path: path)
                let applied = try database.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
                #expect(applied == ["v1-accounts", "v2-attio", "v3-throttle-and-no-visitor-sessions", "v4-account-page", "v5-attio-pauses"])
            }
        }
    }

    @Test func unopenablePathFails() async throws {
        #expect(throws: (any Error).self) { try AppDatabase(path: "/nonexistent-dir/taskr.sqlite3") }
    }
}
