/// Why the configuration could not be loaded; always names the variable or
/// file, never echoes a value (it might be a secret).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case invalidValue(variable: String, expected: String)
        case unreadableFile(path: String, reason: String)
    }

    private let code: Code

    /// `variable` is set to something Taskr cannot use; `expected` says what would do.
    public static func invalidValue(_ variable: String, expected: String) -> ConfigError {
        ConfigError(code: .invalidValue(variable: variable, expected: expected))
    }

    /// The `.env` file exists but could not be read or parsed.
    public static func unreadableFile(_ path: String, reason: String) -> ConfigError {
        ConfigError(code: .unreadableFile(path: path, reason: reason))
    }

    public var description: String {
        switch code {
        case let .invalidValue(variable, expected): "\(variable) is invalid: expected \(expected)"
        case let .unreadableFile(path, reason): "cannot read \(path): \(reason)"
        }
    }
}
