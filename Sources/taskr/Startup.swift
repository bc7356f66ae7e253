import ArgumentParser
import Foundation
import Logging
import Sodium
import TaskrCore

/// What `taskr serve` and the administration commands start from alike.
enum Startup {
    /// The settings, or exit 78 (EX_CONFIG) with the message naming the variable.
    static func loadSettings() async throws -> Settings {
        do {
            return try await Settings.load()
        } catch {
            FileHandle.standardError.write(Data("taskr: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }

    /// Logs to standard error, every value escaped on its way out: no
    /// request can forge a log line.
    static func bootstrapLogging(_ settings: Settings) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = EscapingLogHandler(wrapping: StandardErrorLogHandler(label: label, format: settings.logFormat, writer: .standardError))
            handler.logLevel = settings.logLevel
            return handler
        }
        return Logger(label: "taskr")
    }
}
