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
        #expect(settings.sessionIdleMinutes == 30)
        #expect(settings.sessionMaxHours == 12)
        #expect(settings.sessionPolicy.idleTimeout == 1800)
        #expect(settings.sessionPolicy.maximumAge == 43_200)
    }

    @Test func readsSessionLimits() async throws {
        let settings = try await load(["TASKR_SESSION_IDLE_MINUTES": "45", "TASKR_SESSION_MAX_HOURS": "24"])
        #expect(settings.sessionPolicy.idleTimeout == 2700)
        #expect(settings.sessionPolicy.maximumAge == 86_400)
    }

    @Test(arguments: [("TASKR_SESSION_IDLE_MINUTES", "0"), ("TASKR_SESSION_IDLE_MINUTES", "ten"), ("TASKR_SESSION_MAX_HOURS", "-1"), ("TASKR_SESSION_MAX_HOURS", "1.5")])
    func malformedSessionLimitStopsStartUpNamingTheVariable(_ variable: String, _ value: String) async throws {
        do {
            _ = try await load([variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(String(describing: error).hasPrefix("\(variable) is invalid: expected a whole number"))
        }
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
