import Configuration
import Foundation
public import Logging
public import Sodium

/// Taskr's settings, loaded once at start-up into an immutable value.
///
/// Precedence, highest first: the process environment, then a `.env` file in
/// the working directory, then the defaults of SPEC.md. A value that is set
/// but unusable stops start-up with a ``ConfigError`` naming the variable.
public struct Settings: Sendable, Equatable {
    /// `TASKR_DATABASE`: a SQLite file, or a PostgreSQL URI.
    public var database = DatabaseLocation.sqlite(path: "taskr.sqlite3")
    /// `TASKR_LOG_LEVEL`: `debug`, `info`, `warning` or `error`.
    public var logLevel = Logger.Level.info
    /// `TASKR_LOG_FORMAT`: `text` (swift-log's line format) or `json` (one
    /// object a line, for log collectors).
    public var logFormat = StandardErrorLogHandler.Format.text
    /// `TASKR_SESSION_IDLE_MINUTES`: a session unused this long expires.
    public var sessionIdleMinutes = 30
    /// `TASKR_SESSION_MAX_HOURS`: a session older than this expires, used or not.
    public var sessionMaxHours = 12

    /// The `ATTIO_*` variables.
    public var attio = AttioSettings()
    /// `TASKR_SECRET_KEY`: seals Attio tokens at rest. Nil: the key file
    /// beside the database is used (and created on first run).
    public var secretKey: SecretKey?
    /// `TASKR_PREVIOUS_SECRET_KEYS`: older keys that still open tokens (which
    /// are then re-sealed under the current key).
    public var previousSecretKeys: [SecretKey] = []

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
        if let text = reader.string(forKey: "TASKR_DATABASE", isSecret: true) {
            // Secret: a PostgreSQL URI may carry a password.
            guard !text.isEmpty, !text.utf8.contains(0) else {
                throw .invalidValue("TASKR_DATABASE", expected: "a file path or a postgresql:// URI")
            }
            database = DatabaseLocation(text)
            // Read by libpq's parser now, so a URI it cannot read stops
            // start-up with this message (which never quotes it) instead of
            // reaching libpq's own, which would.
            if case let .postgres(uri) = database, !PostgresDatabase.canRead(conninfo: uri) {
                throw .invalidValue("TASKR_DATABASE", expected: "a postgresql:// URI that libpq can read (check its escapes and brackets)")
            }
        }
        if let level = reader.string(forKey: "TASKR_LOG_LEVEL") {
            let levels: [String: Logger.Level] = ["debug": .debug, "info": .info, "warning": .warning, "error": .error]
            guard let parsed = levels[level.lowercased()] else {
                throw .invalidValue("TASKR_LOG_LEVEL", expected: "one of debug, info, warning, error")
            }
            logLevel = parsed
        }
        if let format = reader.string(forKey: "TASKR_LOG_FORMAT") {
            guard let parsed = StandardErrorLogHandler.Format(rawValue: format.lowercased()) else {
                throw .invalidValue("TASKR_LOG_FORMAT", expected: "text or json")
            }
            logFormat = parsed
        }
        sessionIdleMinutes = try Self.integer(reader, "TASKR_SESSION_IDLE_MINUTES", in: 1...10_080) ?? sessionIdleMinutes
        sessionMaxHours = try Self.integer(reader, "TASKR_SESSION_MAX_HOURS", in: 1...8_760) ?? sessionMaxHours

        attio.clientID = Self.nonEmpty(reader.string(forKey: "ATTIO_CLIENT_ID"))
        attio.clientSecret = Self.nonEmpty(reader.string(forKey: "ATTIO_CLIENT_SECRET", isSecret: true))
        attio.redirectURI = try Self.url(reader, "ATTIO_REDIRECT_URI") ?? attio.redirectURI
        attio.authorizeURL = try Self.url(reader, "ATTIO_AUTHORIZE_URL") ?? attio.authorizeURL
        attio.tokenURL = try Self.url(reader, "ATTIO_TOKEN_URL") ?? attio.tokenURL
        attio.revokeURL = try Self.url(reader, "ATTIO_REVOKE_URL") ?? attio.revokeURL
        attio.apiURL = try Self.url(reader, "ATTIO_API_URL") ?? attio.apiURL
        if let url = try Self.url(reader, "TASKR_PUBLIC_URL") {
            // An origin: where the webhook path goes after it.
            guard ["", "/"].contains(url.path), url.query == nil, url.fragment == nil, url.user == nil else {
                throw .invalidValue("TASKR_PUBLIC_URL", expected: "the site's origin, such as https://taskr.example.com (no path or query)")
            }
            attio.publicURL = URL(string: url.absoluteString.hasSuffix("/") ? String(url.absoluteString.dropLast()) : url.absoluteString)
        }

        let keyFormat = "32 bytes as base64 or 64 hex digits"
        if let text = Self.nonEmpty(reader.string(forKey: "TASKR_SECRET_KEY", isSecret: true)) {
            guard let key = SecretKey.parsing(text) else { throw .invalidValue("TASKR_SECRET_KEY", expected: keyFormat) }
            secretKey = key
        }
        if let list = Self.nonEmpty(reader.string(forKey: "TASKR_PREVIOUS_SECRET_KEYS", isSecret: true)) {
            previousSecretKeys = try list.split(separator: ",").map { text throws(ConfigError) in
                guard let key = SecretKey.parsing(String(text)) else {
                    throw .invalidValue("TASKR_PREVIOUS_SECRET_KEYS", expected: "comma-separated keys, each \(keyFormat)")
                }
                return key
            }
        }
        // Every host must seal and open tokens with the same key: with a
        // shared database, a key file generated per host would not do.
        if database.isPostgres, secretKey == nil {
            throw .invalidValue(
                "TASKR_SECRET_KEY", expected: "a key (\(keyFormat)): required with a PostgreSQL TASKR_DATABASE, the same on every host")
        }
    }

    /// An absolute https URL (http only to this machine: a stand-in, or a
    /// local run), or nil when the variable is not set. Plain HTTP to
    /// another host would send the client secret, codes and tokens in clear.
    private static func url(_ reader: ConfigReader, _ variable: String) throws(ConfigError) -> URL? {
        guard let text = nonEmpty(reader.string(forKey: ConfigKey(variable))) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { throw .invalidValue(variable, expected: "an absolute https URL") }
        guard scheme == "https" || isLoopback(host) else {
            throw .invalidValue(variable, expected: "an https URL (http only for localhost, 127.0.0.0/8 or ::1)")
        }
        return url
    }

    private static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
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
