import ArgumentParser
import Foundation
import TaskrCore

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the live SQLite database to a file, consistently, while taskr serve runs.",
        discussion: """
            Writes a temporary file beside FILE (mode 0600) with SQLite's VACUUM INTO, which \
            reads one snapshot while writers go on, checks it with PRAGMA integrity_check, \
            flushes it and renames it over FILE: FILE is always a whole backup. Prints the \
            size and where the key is: Attio tokens in the backup open only with the key \
            they were sealed with, so keep the key file (or TASKR_SECRET_KEY) beside it. \
            To restore: stop taskr serve, put the backup in place of the database file \
            (removing its -wal and -shm files), start taskr serve. PostgreSQL: refuses, \
            exit 1, and names pg_dump.
            """)

    @Option(name: .long, help: ArgumentHelp("The backup file to write (replaced if it exists).", valueName: "file"))
    var to: String

    func run() async throws {
        let context = try await AdminContext.open()
        let bytes: Int64
        do {
            bytes = try context.database.backup(to: to)
        } catch {
            fail("no backup written: \(error)")
        }
        print("backed up \(context.settings.database.description) to \(to) (\(bytes) bytes, mode 0600)")
        if context.settings.secretKey != nil {
            print("key: TASKR_SECRET_KEY (key id \(context.key?.id ?? "?")); keep it with the backup, whose Attio tokens open only with it")
        } else if let path = context.settings.database.keyFilePath {
            print("key: \(path); keep it with the backup, whose Attio tokens open only with it")
        }
    }
}
