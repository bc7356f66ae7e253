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
    }
}
