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

    /// The page path's reader (``SQLiteReader``, ``SQLiteRow``): every
    /// argument kind binds, every column kind reads back byte for byte, and a
    /// NULL where a value must be is an error for the page, never a crash.
    @Test func thePageReaderBindsAndReadsEveryKindAndRefusesAnUnexpectedNull() async throws {
        try await withTemporaryDirectory { directory in
            let database = try AppDatabase(path: directory.appendingPathComponent("reader.sqlite3").path)
            let blob: [UInt8] = [0, 255, 10, 13, 0, 1]
            try database.write { db in
                try db.execute(sql: "CREATE TABLE kinds (i INTEGER, t TEXT, b BLOB, n TEXT)")
                try db.execute(sql: "INSERT INTO kinds VALUES (?, 'é' || char(0) || '日本 ', ?, NULL)", arguments: [Int64.min, Data(blob)])
                try db.execute(sql: "INSERT INTO kinds VALUES (7, '', x'', NULL)")
            }
            let sql = "SELECT i, t, b, n FROM kinds WHERE i = ? OR t = ? OR b = ?"
            let first = try database.fetchOne(sql, arguments: [.integer(0), .text("é\u{0}日本 "), .blob([9])]) { row in
                (try row.int64(0), try row.text(1), try row.blob(2), row.optionalText(3))
            }
            #expect(first?.0 == Int64.min)
            #expect(first.map { Array($0.1.utf8) } == Array("é\u{0}日本 ".utf8))
            #expect(first?.2 == blob)
            #expect(first?.3 == nil)
            let empty = try database.fetchOne(sql, arguments: [.integer(0), .text(""), .blob([])]) { row in
                (try row.text(1), try row.blob(2))
            }
            #expect(empty?.0 == "")
            #expect(empty?.1 == [])
            #expect(try database.fetchOne(sql, arguments: [.integer(1), .text("x"), .blob([1])]) { try $0.int64(0) } == nil)
            #expect(throws: (any Error).self) {
                try database.fetchOne(sql, arguments: [.integer(7), .text(""), .blob([])]) { try $0.text(3) }
            }
            // The statement is reset after the error: the next read works.
            #expect(try database.fetchOne(sql, arguments: [.integer(7), .text(""), .blob([])]) { try $0.int64(0) } == 7)
        }
    }
}
