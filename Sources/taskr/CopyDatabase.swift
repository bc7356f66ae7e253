import ArgumentParser
import Foundation
import TaskrCore

/// `TASKR_COPY_TO=postgresql://… taskr copy-database`: the move from one
/// host's SQLite file to a PostgreSQL database several hosts share. The
/// target comes from the environment, never the command line, which every
/// user of the machine can read in `ps` (the URI may hold a password).
struct CopyDatabase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-database",
        abstract: "Copy the SQLite database (TASKR_DATABASE) into an empty PostgreSQL database.",
        discussion: """
            Stop taskr serve first. Copies users, sessions, Attio connections (their \
            sealed tokens as they are: keep the same TASKR_SECRET_KEY), OAuth states and \
            log-in counters in one transaction, migrating the target's schema first. \
            Refuses a target that already holds data. Then set TASKR_DATABASE to the \
            PostgreSQL URI and start taskr serve again. Exits 1 when nothing was copied. \
            The target is read from TASKR_COPY_TO (the environment, or .env), never from \
            the command line: a URI there, password and all, is visible to every user in ps.
            """)

    func run() async throws {
        let settings = try await Startup.loadSettings()
        _ = Startup.bootstrapLogging(settings)
        guard case let .sqlite(path) = settings.database else {
            throw ValidationError("TASKR_DATABASE names PostgreSQL already: copy-database copies from a SQLite file")
        }
        guard let target = ProcessInfo.processInfo.environment["TASKR_COPY_TO"], !target.isEmpty else {
            throw ValidationError("set TASKR_COPY_TO to the PostgreSQL URI to copy into (postgresql://…)")
        }
        let destination = DatabaseLocation(target)
        guard case let .postgres(uri) = destination else { throw ValidationError("TASKR_COPY_TO must be a postgresql:// URI") }
        guard FileManager.default.fileExists(atPath: path) else { fail("there is no database at \(path) (TASKR_DATABASE)") }
        do {
            let source = try SQLiteDatabase(path: path, existing: true, migrating: false)
            let report = try DatabaseCopy.copy(from: source, to: try PostgresDatabase(conninfo: uri, migrating: false))
            print("copied \(path) to \(destination)")
            // One line a table, "users 2", in the order the tables were made.
            for (table, count) in report.rows { print("\(table.replacingOccurrences(of: "_", with: " ")) \(count)") }
        } catch {
            fail("nothing was copied: \(error)")
        }
    }
}
