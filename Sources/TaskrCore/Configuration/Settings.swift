public import Logging
import Configuration
import Foundation

/// Taskr's settings, loaded once at start-up into an immutable value.
///
/// Precedence, highest first: the process environment, then a `.env` file in
/// the working directory, then the defaults of SPEC.md. A value that is set
/// but unusable stops start-up with a ``ConfigError`` naming the variable.
public struct Settings: Sendable, Equatable {
    /// `TASKR_DATABASE`: the SQLite file.
    public var databasePath = "taskr.sqlite3"
    /// `TASKR_LOG_LEVEL`: `debug`, `info`, `warning` or `error`.
    public var logLevel = Logger.Level.info
    /// `TASKR_SESSION_IDLE_MINUTES`: a session unused this long expires.
    public var sessionIdleMinutes = 30
    /// `TASKR_SESSION_MAX_HOURS`: a session older than this expires, used or not.
    public var sessionMaxHours = 12

    /// The session expiry these settings describe.
    public var sessionPolicy: SessionPolicy {
        SessionPolicy(idleTimeout: TimeInterval(sessionIdleMinutes * 60), maximumAge: TimeInterval(sessionMaxHours * 3600))
    }

    public init() {}

    /// Reads the configuration.
    ///
    /// - Parameters:
    ///   - environment: the variables to read; nil reads the process environment.
    ///   - dotEnvPath: the `.env` file; a missing file is the same as an empty one.
    public static func load(
        environment: [String: String]? = nil,
        dotEnvPath: String = ".env"
    ) async throws(ConfigError) -> Settings {
        let dotEnv: EnvironmentVariablesProvider
        do {
            dotEnv = try await EnvironmentVariablesProvider(environmentFilePath: .init(dotEnvPath), allowMissing: true)
        } catch {
            throw .unreadableFile(dotEnvPath, reason: String(describing: error))
        }
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment ?? ProcessInfo.processInfo.environment),
            dotEnv,
        ])
        return try Settings(reader: reader)
    }

    private init(reader: ConfigReader) throws(ConfigError) {
        if let path = reader.string(forKey: "TASKR_DATABASE") {
            guard !path.isEmpty else { throw .invalidValue("TASKR_DATABASE", expected: "a file path") }
            databasePath = path
        }
        if let level = reader.string(forKey: "TASKR_LOG_LEVEL") {
            let levels: [String: Logger.Level] = ["debug": .debug, "info": .info, "warning": .warning, "error": .error]
            guard let parsed = levels[level.lowercased()] else {
                throw .invalidValue("TASKR_LOG_LEVEL", expected: "one of debug, info, warning, error")
            }
            logLevel = parsed
        }
        sessionIdleMinutes = try Self.integer(reader, "TASKR_SESSION_IDLE_MINUTES", in: 1...10_080) ?? sessionIdleMinutes
        sessionMaxHours = try Self.integer(reader, "TASKR_SESSION_MAX_HOURS", in: 1...8_760) ?? sessionMaxHours
    }

    /// A whole number within `range`, or nil when the variable is not set.
    private static func integer(_ reader: ConfigReader, _ variable: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let text = reader.string(forKey: ConfigKey(variable)) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw .invalidValue(variable, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
