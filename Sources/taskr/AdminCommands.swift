import ArgumentParser
import Curl
import Foundation
import Logging
import Sodium
import TaskrCore

// The administration commands. Each reads the same configuration as
// `taskr serve`, prints plain lines a script can read on standard output
// (logs go to standard error), and exits:
//   0  done (for `check`: no problem found)
//   1  a problem: `check` found one, no such account, the database or key
//      cannot be used
//   64 wrong usage (ArgumentParser)
//   78 a configuration variable is malformed (as `serve`)

/// The opened database, key and administration services of one command.
struct AdminContext {
    let settings: Settings
    let database: TaskrDatabase
    let key: SecretKey?
    let administration: Administration
    let logger: Logger

    /// - Parameter existing: refuse to create a database that is not there
    ///   (every command but `migrate`), and leave the schema as it is.
    static func open(existing: Bool = true) async throws -> AdminContext {
        let settings = try await Startup.loadSettings()
        let logger = Startup.bootstrapLogging(settings)
        let location = settings.database
        let database: TaskrDatabase
        if existing, case let .sqlite(path) = location, !FileManager.default.fileExists(atPath: path) {
            fail("there is no database at \(path) (TASKR_DATABASE): taskr migrate or taskr serve creates it")
        }
        do {
            database = try TaskrDatabase.open(location, existing: existing, migrating: false)
        } catch {
            fail("cannot open the database at \(location): \(error)")
        }
        let key: SecretKey?
        do {
            // Never created here: only `serve` makes a key file (SQLite only).
            key = try settings.secretKey ?? location.keyFilePath.flatMap { try SecretKeyFile.load(at: $0) }
        } catch {
            fail("\(error)")
        }
        let administration = try Administration(database: database, settings: settings, secretKey: key, http: CurlClient(), logger: logger)
        return AdminContext(settings: settings, database: database, key: key, administration: administration, logger: logger)
    }
}

/// Prints `message` to standard error and exits 1.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("taskr: \(message)\n".utf8))
    exit(1)
}

/// JSON for `--json`: snake_case keys, sorted; dates in ISO 8601.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    encoder.keyEncodingStrategy = .convertToSnakeCase
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the database migrations not applied yet, and exit.",
        discussion: """
            taskr serve migrates at start too; run this before starting a new version \
            to see the migrations happen on their own. Safe while taskr serve runs, and \
            when several hosts run it at once: each migration is applied exactly once. \
            Prints one line per migration applied, then the schema version.
            """)

    func run() async throws {
        let context = try await AdminContext.open(existing: false)
        for name in try context.database.migrate() { print("applied \(name)") }
        let state = try context.database.migrationState()
        print("schema \(state.version) (\(state.applied.count) of \(state.known.count) migrations applied)")
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration and the database; print the schema version and counts.",
        discussion: """
            Reads the configuration, opens the database without changing it, and prints \
            the schema version, the number of users, live sessions, and Attio connections \
            per key id (current, previous or unknown). Exits 1 when anything is wrong \
            (each problem on a line starting "problem:"), 78 when a variable is malformed.
            """)

    @Flag(help: "Print the report as JSON.")
    var json = false

    private struct Report: Encodable {
        let database: String
        let schemaVersion: String
        let migrationsApplied: Int
        let migrationsKnown: Int
        let users: Int
        let liveSessions: Int
        let attioConnections: [Key]
        /// Per key, as for connections (the count is named `connections` there too).
        let taskCopies: [Key]
        let problems: [String]

        struct Key: Encodable {
            let keyId: String
            let role: String
            let connections: Int
        }
    }

    func run() async throws {
        let context = try await AdminContext.open()
        let report = try context.administration.check()
        if json {
            try printJSON(
                Report(
                    database: context.settings.database.description, schemaVersion: report.migrations.version,
                    migrationsApplied: report.migrations.applied.count, migrationsKnown: report.migrations.known.count,
                    users: report.users, liveSessions: report.liveSessions,
                    attioConnections: report.connectionsByKey.map { Report.Key(keyId: $0.keyID, role: $0.role, connections: $0.count) },
                    taskCopies: report.taskCopiesByKey.map { Report.Key(keyId: $0.keyID, role: $0.role, connections: $0.count) },
                    problems: report.problems))
        } else {
            print("database \(context.settings.database.description)")
            print("schema \(report.migrations.version) (\(report.migrations.applied.count) of \(report.migrations.known.count) migrations applied)")
            print("users \(report.users)")
            print("live sessions \(report.liveSessions)")
            for (label, counts) in [("attio connections", report.connectionsByKey), ("task copies", report.taskCopiesByKey)] {
                print("\(label) \(counts.reduce(0) { $0 + $1.count })")
                for key in counts { print("\(label) under key \(key.keyID) (\(key.role)) \(key.count)") }
            }
            if let key = context.key { print("current key \(key.id)") } else { print("current key none yet (taskr serve creates the key file)") }
            for problem in report.problems { print("problem: \(problem)") }
            print(report.problems.isEmpty ? "ok" : "\(report.problems.count) problem(s)")
        }
        if !report.problems.isEmpty { throw ExitCode.failure }
    }
}

struct Reseal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-seal every stored Attio token and task copy under the current key.",
        discussion: """
            After a key rotation (the new key in TASKR_SECRET_KEY, the old one in \
            TASKR_PREVIOUS_SECRET_KEYS), this re-seals every token under the new key at \
            once (and every task copy), so the old key can be dropped. Prints how many were re-sealed per old \
            key id; values no configured key opens are listed by user id and left in \
            place. Safe while taskr serve runs. Exits 1 when there is no current key.
            """)

    func run() async throws {
        let context = try await AdminContext.open()
        let report: Administration.ResealReport
        do {
            report = try context.administration.reseal()
        } catch let error as AdministrationError {
            fail("\(error)")
        }
        print("current key \(report.currentKeyID)")
        for (prefix, what, tally) in [
            ("", "token", report.tokens), ("task copies: ", "task copy", report.taskCopies),
            ("webhook secrets: ", "webhook secret", report.webhookSecrets),
        ] {
            for (keyID, count) in tally.resealed.sorted(by: { $0.key < $1.key }) { print("\(prefix)resealed \(count) from key \(keyID)") }
            print("\(prefix)resealed \(tally.resealed.values.reduce(0, +)) in all; \(tally.alreadyCurrent) already under the current key")
            for userID in tally.unopenable { print("left in place: the \(what) of user \(userID) (no configured key opens it)") }
            for userID in tally.changedMeanwhile { print("left in place: the \(what) of user \(userID) changed while this ran") }
        }
    }
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List accounts, clear an account's log-in throttling, or delete an account.",
        subcommands: [List.self, Unlock.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every account, oldest first.",
            discussion: """
                One line per account, tab-separated, after a header line: id, username, \
                created (UTC, ISO 8601), live sessions, and the key id of the Attio \
                token ("-" when not connected). --json prints the same as a JSON array.
                """)

        @Flag(help: "Print a JSON array instead of lines.")
        var json = false

        private struct Line: Encodable {
            let id: Int64
            let username: String
            let createdAt: Date
            let liveSessions: Int
            /// `null` when not connected (not left out).
            let attioKeyId: String?

            private enum CodingKeys: String, CodingKey { case id, username, createdAt, liveSessions, attioKeyId }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(id, forKey: .id)
                try container.encode(username, forKey: .username)
                try container.encode(createdAt, forKey: .createdAt)
                try container.encode(liveSessions, forKey: .liveSessions)
                try container.encode(attioKeyId, forKey: .attioKeyId)
            }
        }

        func run() async throws {
            let context = try await AdminContext.open()
            let users = try context.administration.userSummaries()
            if json {
                try printJSON(
                    users.map {
                        Line(id: $0.id, username: $0.username, createdAt: $0.createdAt, liveSessions: $0.liveSessions, attioKeyId: $0.attioKeyID)
                    })
                return
            }
            print(["id", "username", "created", "sessions", "attio_key"].joined(separator: "\t"))
            let format = ISO8601DateFormatter()
            for user in users {
                // Usernames are printable characters only: no tab or newline can split a line.
                print(
                    ["\(user.id)", user.username, format.string(from: user.createdAt), "\(user.liveSessions)", user.attioKeyID ?? "-"].joined(
                        separator: "\t"))
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear the log-in throttling of a username.",
            discussion: """
                Deletes the failed log-ins counted against NAME (from every address), so \
                its owner can log in at once. An address locked for guessing many names \
                stays locked. Works for names without an account too (they are throttled \
                the same way); says whether an account has that name.
                """)

        @Argument(help: "The username, as typed at log-in (case does not matter).")
        var name: String

        func run() async throws {
            let context = try await AdminContext.open()
            let (exists, cleared) = try context.administration.unlock(username: name)
            print("cleared \(cleared) counter(s) for \(exists ? "the account" : "the name (no account has it)") \(name)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an account, as the user can from /account.",
            discussion: """
                Revokes the account's Attio token (best effort, a few seconds at most), \
                then deletes the user and everything stored for them in one transaction; \
                the name is free again. Needs --yes. Exits 1 when no account has that name.
                """)

        @Argument(help: "The username (case does not matter).")
        var name: String

        @Flag(help: "Really delete: nothing can bring the account back.")
        var yes = false

        func validate() throws {
            if !yes { throw ValidationError("Deleting \(name) cannot be undone: pass --yes to mean it.") }
        }

        func run() async throws {
            let context = try await AdminContext.open()
            guard let id = try context.administration.deleteUser(username: name) else { fail("no account is named \(name)") }
            print("deleted user \(id) (\(name))")
        }
    }
}
