import Dispatch
import Foundation
import Synchronization
import Testing

@testable import TaskrCore

/// What only the SQLite engine has to get right: the file's mode, WAL and
/// its options on every connection, processes starting together.
@Suite("Storage: SQLite")
struct SQLiteDatabaseTests {
    @Test func databaseFileIsCreatedOwnerOnly() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("new.sqlite3").path
            // The mode is chosen explicitly, not left to the umask: a umask
            // that would allow more is not needed to show it, and changing
            // the process-wide umask would race the suites running alongside.
            let database = try SQLiteDatabase(path: path)
            try database.execute("CREATE TABLE t (x)", [])  // so the WAL has content
            for file in [path, path + "-wal", path + "-shm"] {
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file)")
            }
            withExtendedLifetime(database) {}
        }
    }

    /// One set of options on every connection, whichever thread opens it.
    @Test func everyThreadsConnectionUsesWALFullSyncAndForeignKeys() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taskr.sqlite3").path
            let first = try SQLiteDatabase(path: path)
            let second = try SQLiteDatabase(path: path)  // a second process on the same file
            let settings = Mutex<[[Int64]]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                let row = try? first.first(
                    "SELECT (SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'), "
                        + "(SELECT synchronous FROM pragma_synchronous), (SELECT foreign_keys FROM pragma_foreign_keys)", []
                ) {
                    [try $0.int64(0), try $0.int64(1), try $0.int64(2)]
                }
                settings.withLock { $0.append(row ?? []) }
            }
            // WAL; FULL (2): a commit is on disk before the 303 that reports it; foreign keys on.
            #expect(settings.withLock { $0 } == Array(repeating: [1, 2, 1], count: 4))
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
                        _ = try SQLiteDatabase(path: path)
                    } catch {
                        failures.withLock { $0.append(String(describing: error)) }
                    }
                }
                #expect(failures.withLock { $0 } == [])
                let database = TaskrDatabase.sqlite(try SQLiteDatabase(path: path))
                #expect(try database.texts("SELECT name FROM taskr_migrations ORDER BY name") == Migrations.names(for: .sqlite).sorted())
            }
        }
    }

    /// A file made by an earlier build, whose migrations GRDB recorded in
    /// `grdb_migrations`, opens at its version and is not migrated again.
    @Test func aFileMigratedByGRDBCountsItsMigrationsAsApplied() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("old.sqlite3").path
            let old = try SQLiteDatabase(path: path, migrating: false)
            try old.write { transaction in
                try transaction.execute("CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)", [])
                for migration in Migrations.all {
                    guard let statements = migration.sqlite else { continue }
                    for statement in statements { try transaction.execute(statement, []) }
                    try transaction.execute("INSERT INTO grdb_migrations VALUES ($1)", [.text(migration.name)])
                }
            }
            let reopened = try SQLiteDatabase(path: path)
            let state = try TaskrDatabase.sqlite(reopened).migrationState()
            #expect(state.pending.isEmpty && state.version == "v7-webhooks")
            // Nothing ran and nothing was written: no write lock at an ordinary start.
            #expect(try TaskrDatabase.sqlite(reopened).count("sqlite_master WHERE name = 'taskr_migrations'") == 0)
        }
    }

    @Test func unopenablePathFails() async throws {
        #expect(throws: (any Error).self) { try SQLiteDatabase(path: "/nonexistent-dir/taskr.sqlite3") }
    }

    /// A database that goes away closes the connection of every thread that
    /// used it (the threads live on: a FastCGI worker outlives a restart of
    /// the app on it in tests, and `taskr` commands open several).
    @Test func aDroppedDatabaseClosesEveryThreadsConnection() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("dropped.sqlite3").path
            var database: SQLiteDatabase? = try SQLiteDatabase(path: path)
            let threads = 4
            let ready = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            for _ in 0..<threads {
                Thread.detachNewThread { [weak database] in
                    _ = try? database?.first("SELECT 1", []) { try $0.int64(0) }
                    ready.signal()
                    release.wait()
                }
            }
            for _ in 0..<threads { ready.wait() }
            #expect(Self.openDescriptors(of: path) >= threads)
            database = nil
            #expect(Self.openDescriptors(of: path) == 0)
            for _ in 0..<threads { release.signal() }
        }
    }

    /// How many of this process's file descriptors are open on `path`.
    private static func openDescriptors(of path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }.count
    }
}
