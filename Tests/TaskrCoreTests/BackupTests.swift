import Dispatch
import Foundation
import Testing

@testable import TaskrCore

/// `taskr backup` (SPEC): a consistent, checked, private copy of the live
/// SQLite database; the restore drill through nginx is
/// `Tests/reliability/backup_restore_test.py`.
@Suite("Backups")
struct BackupTests {
    /// A writer holds an open transaction while the backup runs: the copy
    /// has what was committed, not what was in flight, and the writer is
    /// not blocked by it.
    @Test(.timeLimit(.minutes(1))) func theCopyHoldsWhatWasCommittedWhileAWriterIsMidTransaction() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taskr.sqlite3").path
            let target = directory.appendingPathComponent("backup.sqlite3").path
            let live = try TaskrDatabase.open(.sqlite(path: path))
            try live.execute("CREATE TABLE t (x TEXT)")
            try live.execute("INSERT INTO t VALUES ('committed')")
            let inTransaction = DispatchSemaphore(value: 0)
            let backedUp = DispatchSemaphore(value: 0)
            let writer = Thread {
                _ = try? live.engine.write { transaction in
                    try transaction.execute("INSERT INTO t VALUES ('in flight')", [])
                    inTransaction.signal()
                    backedUp.wait()
                }
            }
            writer.start()
            inTransaction.wait()
            let bytes = try live.backup(to: target)
            backedUp.signal()
            #expect(bytes > 0)
            #expect(try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int == 0o600)
            let copy = try TaskrDatabase.open(.sqlite(path: target), existing: true, migrating: false)
            #expect(try copy.texts("SELECT x FROM t ORDER BY x") == ["committed"])
            #expect(try copy.migrationState().pending.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".partial-") }.isEmpty)
            #expect(eventually { (try? live.texts("SELECT x FROM t ORDER BY x")) == ["committed", "in flight"] })
        }
    }

    @Test func theDatabaseItselfIsNeverTheTarget() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taskr.sqlite3").path
            let live = try TaskrDatabase.open(.sqlite(path: path))
            #expect(throws: BackupError.self) { try live.backup(to: directory.appendingPathComponent("./taskr.sqlite3").path) }
            #expect(try live.migrationState().pending.isEmpty)
        }
    }

    /// The copy is made and checked, then the rename fails (the target is
    /// a folder that is not empty): the temporary file is removed, and what
    /// stood at the target is untouched.
    @Test func aFailedBackupLeavesNothingBehind() async throws {
        try await withTemporaryDirectory { directory in
            let live = try TaskrDatabase.open(.sqlite(path: directory.appendingPathComponent("taskr.sqlite3").path))
            let target = directory.appendingPathComponent("backup.sqlite3")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
            try Data("yesterday".utf8).write(to: target.appendingPathComponent("keep"))
            #expect(throws: (any Error).self) { try live.backup(to: target.path) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { !$0.contains("partial") })
            #expect(try String(contentsOf: target.appendingPathComponent("keep"), encoding: .utf8) == "yesterday")
        }
    }

    @Test(.enabled(if: StoreEngine.available.contains(.postgres))) func postgreSQLRefusesAndNamesPgDump() throws {
        try withTemporaryDatabase(.postgres) { database in
            #expect {
                try database.backup(to: "/tmp/never-written.sqlite3")
            } throws: { error in
                String(describing: error).contains("pg_dump")
            }
            #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written.sqlite3"))
        }
    }
}
