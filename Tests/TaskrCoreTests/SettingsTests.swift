import Foundation
import Logging
import Testing
@testable import TaskrCore

@Suite("Configuration")
struct SettingsTests {
    private func load(_ environment: [String: String], dotEnv: String? = nil) async throws -> Settings {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent(".env").path
            if let dotEnv { try dotEnv.write(toFile: path, atomically: true, encoding: .utf8) }
            return try await Settings.load(environment: environment, dotEnvPath: path)
        }
    }

    @Test func defaultsFromTheSpec() async throws {
        let settings = try await load([:])
        #expect(settings.databasePath == "taskr.sqlite3")
        #expect(settings.logLevel == .info)
    }

    @Test func readsTheEnvironment() async throws {
        let settings = try await load(["TASKR_DATABASE": "/var/lib/taskr/db", "TASKR_LOG_LEVEL": "warning"])
        #expect(settings.databasePath == "/var/lib/taskr/db")
        #expect(settings.logLevel == .warning)
    }

    @Test func readsDotEnvAndTheEnvironmentWins() async throws {
        let dotEnv = """
            # comment
            TASKR_DATABASE=from-dotenv.sqlite3
            TASKR_LOG_LEVEL=debug
            """
        let settings = try await load(["TASKR_LOG_LEVEL": "error"], dotEnv: dotEnv)
        #expect(settings.databasePath == "from-dotenv.sqlite3")
        #expect(settings.logLevel == .error)
    }

    @Test func unknownLogLevelStopsStartUpNamingTheVariable() async throws {
        await #expect(throws: ConfigError.invalidValue("TASKR_LOG_LEVEL", expected: "one of debug, info, warning, error")) {
            try await load(["TASKR_LOG_LEVEL": "verbose"])
        }
        let error = ConfigError.invalidValue("TASKR_LOG_LEVEL", expected: "one of debug, info, warning, error")
        #expect(error.description.hasPrefix("TASKR_LOG_LEVEL is invalid"))
    }

    @Test func emptyDatabasePathIsInvalid() async throws {
        await #expect(throws: ConfigError.self) { try await load([:], dotEnv: "TASKR_DATABASE=\n") }
    }
}
