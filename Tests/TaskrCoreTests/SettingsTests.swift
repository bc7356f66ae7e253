import Foundation
import Logging
import Sodium
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
        #expect(settings.database == .sqlite(path: "taskr.sqlite3"))
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

    @Test(arguments: [
        ("TASKR_SESSION_IDLE_MINUTES", "0"), ("TASKR_SESSION_IDLE_MINUTES", "ten"), ("TASKR_SESSION_MAX_HOURS", "-1"),
        ("TASKR_SESSION_MAX_HOURS", "1.5"),
    ])
    func malformedSessionLimitStopsStartUpNamingTheVariable(_ variable: String, _ value: String) async throws {
        do {
            _ = try await load([variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(String(describing: error).hasPrefix("\(variable) is invalid: expected a whole number"))
        }
    }

    @Test func readsTheEnvironment() async throws {
        let settings = try await load(["TASKR_DATABASE": "/var/lib/taskr/db", "TASKR_LOG_LEVEL": "warning", "TASKR_LOG_FORMAT": "JSON"])
        #expect(settings.database == .sqlite(path: "/var/lib/taskr/db"))
        #expect(settings.logLevel == .warning)
        #expect(settings.logFormat == .json)
        #expect(try await load([:]).logFormat == .text)
    }

    @Test func aPostgreSQLURISwitchesEnginesAndNeedsTheSharedKey() async throws {
        let uri = "postgresql://taskr:pw@db.internal/taskr?sslmode=verify-full"
        do {
            _ = try await load(["TASKR_DATABASE": uri])
            Issue.record("PostgreSQL was accepted without TASKR_SECRET_KEY")
        } catch {
            #expect(String(describing: error).hasPrefix("TASKR_SECRET_KEY is invalid: expected a key"))
            #expect(!String(describing: error).contains("pw"))
        }
        let key = String(repeating: "ab", count: 32)
        let settings = try await load(["TASKR_DATABASE": uri, "TASKR_SECRET_KEY": key])
        #expect(settings.database == .postgres(uri: uri))
        // libpq reads only the lower-case schemes: anything else it cannot connect with is refused at start-up.
        await #expect(throws: ConfigError.self) { try await load(["TASKR_DATABASE": "POSTGRES:///taskr", "TASKR_SECRET_KEY": key]) }
        #expect(try await load(["TASKR_DATABASE": "postgresql.sqlite3"]).database == .sqlite(path: "postgresql.sqlite3"))
        #expect(settings.database.keyFilePath == nil)
        #expect(DatabaseLocation.sqlite(path: "/var/lib/taskr/db").keyFilePath == "/var/lib/taskr/db.key")
    }

    /// What commands and logs print of `TASKR_DATABASE`: never a password,
    /// as libpq's own parser reads the URI.
    @Test func aPostgreSQLURIIsShownWithoutItsPassword() {
        #expect(
            DatabaseLocation("postgresql://taskr:s3cret@db:5432/taskr?sslmode=verify-full").description
                == "user=taskr password=*** dbname=taskr host=db port=5432 sslmode=verify-full")
        #expect(DatabaseLocation("postgres:///taskr?host=/run/pg&password=hunter2").description == "password=*** dbname=taskr host=/run/pg")
        // Two hosts, as libpq reads them (two ports, both the default).
        #expect(DatabaseLocation("postgresql://taskr@db1,db2/taskr").description == "user=taskr dbname=taskr host=db1,db2 port=,")
        #expect(DatabaseLocation("/var/lib/taskr/taskr.sqlite3").description == "/var/lib/taskr/taskr.sqlite3")
    }

    /// Passwords the hand-written redaction got wrong (libpq reads the
    /// authority to the last `@`, so a `?` or `/` in a password is part of
    /// it), and URIs libpq cannot read at all (`[` unclosed, `%ZZ`): start-up
    /// refuses them naming the variable, and nothing printed quotes them.
    @Test(arguments: [
        ("postgresql://taskr:zq7?kx9@db/taskr", "zq7?kx9"), ("postgresql://taskr:qv4/wj8?y=3@db/taskr", "qv4/wj8?y=3"),
        ("postgresql://taskr:bx5@[::1/taskr", "bx5"), ("postgresql://taskr:mf2%ZZ@db/taskr", "mf2%ZZ"),
        ("postgresql://taskr:hj6%40gt3@db/taskr", "hj6@gt3"),
    ])
    func noPasswordIsEverPrinted(uri: String, password: String) async throws {
        // Not the password, nor any piece of it (the hand-written redaction
        // cut the authority at the first `?` or `/` and printed the rest).
        let pieces = password.split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { $0.count >= 3 }
        func leaks(_ text: String) -> Bool { pieces.contains { text.contains($0) } }
        #expect(!leaks(DatabaseLocation(uri).description), "\(DatabaseLocation(uri).description)")
        let key = String(repeating: "ab", count: 32)
        do {
            let settings = try await load(["TASKR_DATABASE": uri, "TASKR_SECRET_KEY": key])
            #expect(!leaks(String(describing: settings)))
            // libpq reads it: a connection attempt's error is scrubbed too.
            do {
                _ = try PostgresDatabase(conninfo: uri + "?connect_timeout=1", migrating: false)
                Issue.record("connected to nothing")
            } catch {
                #expect(!leaks(String(describing: error)), "\(error)")
            }
        } catch {
            #expect(
                error as? ConfigError
                    == .invalidValue("TASKR_DATABASE", expected: "a postgresql:// URI that libpq can read (check its escapes and brackets)"))
            #expect(!leaks(String(describing: error)))
        }
    }

    @Test func readsDotEnvAndTheEnvironmentWins() async throws {
        let dotEnv = """
            # comment
            TASKR_DATABASE=from-dotenv.sqlite3
            TASKR_LOG_LEVEL=debug
            """
        let settings = try await load(["TASKR_LOG_LEVEL": "error"], dotEnv: dotEnv)
        #expect(settings.database == .sqlite(path: "from-dotenv.sqlite3"))
        #expect(settings.logLevel == .error)
    }

    @Test func unknownLogLevelStopsStartUpNamingTheVariable() async throws {
        await #expect(throws: ConfigError.invalidValue("TASKR_LOG_LEVEL", expected: "one of debug, info, warning, error")) {
            try await load(["TASKR_LOG_LEVEL": "verbose"])
        }
        let error = ConfigError.invalidValue("TASKR_LOG_LEVEL", expected: "one of debug, info, warning, error")
        #expect(error.description.hasPrefix("TASKR_LOG_LEVEL is invalid"))
    }

    @Test func unknownLogFormatStopsStartUpNamingTheVariable() async throws {
        await #expect(throws: ConfigError.invalidValue("TASKR_LOG_FORMAT", expected: "text or json")) {
            try await load(["TASKR_LOG_FORMAT": "logfmt"])
        }
    }

    @Test func thePublicURLIsAnOriginAndUnsetByDefault() async throws {
        #expect(try await load([:]).attio.publicURL == nil)
        #expect(try await load(["TASKR_PUBLIC_URL": "https://taskr.example.com/"]).attio.publicURL?.absoluteString == "https://taskr.example.com")
        #expect(try await load(["TASKR_PUBLIC_URL": "http://127.0.0.1:3050"]).attio.publicURL?.absoluteString == "http://127.0.0.1:3050")
    }

    @Test func emptyDatabasePathIsInvalid() async throws {
        await #expect(throws: ConfigError.self) { try await load([:], dotEnv: "TASKR_DATABASE=\n") }
    }

    @Test func readsEveryAttioVariableAndKeys() async throws {
        let key = SecretKey.generate()
        let hex = [UInt8](repeating: 0xAB, count: 32).map { String(format: "%02x", $0) }.joined()
        let settings = try await load([
            "ATTIO_CLIENT_ID": "client", "ATTIO_CLIENT_SECRET": "s3cret",
            "ATTIO_REDIRECT_URI": "https://taskr.example.com/integrations/attio/callback",
            "ATTIO_AUTHORIZE_URL": "http://127.0.0.1:3051/authorize", "ATTIO_TOKEN_URL": "http://127.0.0.1:3051/oauth/token",
            "ATTIO_REVOKE_URL": "http://127.0.0.1:3051/oauth/revoke", "ATTIO_API_URL": "http://127.0.0.1:3051",
            "TASKR_SECRET_KEY": key.base64URL, "TASKR_PREVIOUS_SECRET_KEYS": "\(hex), \(SecretKey.generate().base64URL)",
        ])
        #expect(settings.attio.isConfigured)
        #expect(settings.attio.clientSecret == "s3cret")
        #expect(settings.attio.redirectURI.absoluteString == "https://taskr.example.com/integrations/attio/callback")
        #expect(settings.attio.tokenURL.absoluteString == "http://127.0.0.1:3051/oauth/token")
        #expect(settings.attio.apiURL.absoluteString == "http://127.0.0.1:3051")
        #expect(settings.secretKey == key)
        #expect(settings.previousSecretKeys.count == 2)
        #expect(settings.previousSecretKeys[0] == (try SecretKey(bytes: [UInt8](repeating: 0xAB, count: 32))))
        #expect(!String(describing: settings.attio).contains("s3cret"))
    }

    @Test func attioDefaultsAreAttiosOwn() async throws {
        let settings = try await load([:])
        #expect(!settings.attio.isConfigured)
        #expect(settings.attio.authorizeURL.absoluteString == "https://app.attio.com/authorize")
        #expect(settings.attio.tokenURL.absoluteString == "https://app.attio.com/oauth/token")
        #expect(settings.attio.revokeURL.absoluteString == "https://app.attio.com/oauth/revoke")
        #expect(settings.attio.apiURL.absoluteString == "https://api.attio.com")
        #expect(settings.attio.redirectURI.absoluteString == "http://localhost:3050/integrations/attio/callback")
        #expect(settings.secretKey == nil)
    }

    /// The format README tells operators to make (`openssl rand -base64 32`):
    /// standard alphabet, padded; and the other spellings of the same key.
    @Test func secretKeyInEveryDocumentedSpelling() async throws {
        let bytes = (0..<32).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }  // with '+' and '/' in base64
        let expected = try SecretKey(bytes: bytes)
        let standard = Data(bytes).base64EncodedString()
        #expect(standard.hasSuffix("=") && (standard.contains("+") || standard.contains("/")))
        let spellings = [
            standard, String(standard.dropLast()),
            standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
            bytes.map { String(format: "%02x", $0) }.joined(), bytes.map { String(format: "%02X", $0) }.joined(),
            "  \(standard)\n",
        ]
        for spelling in spellings {
            #expect(try await load(["TASKR_SECRET_KEY": spelling]).secretKey == expected, "\(spelling)")
        }
    }

    @Test(arguments: [
        ("ATTIO_TOKEN_URL", "not a url"), ("ATTIO_API_URL", "ftp://example.com"), ("ATTIO_REDIRECT_URI", "/relative"),
        // Plain HTTP only to this machine.
        ("ATTIO_TOKEN_URL", "http://attio.example/oauth/token"), ("ATTIO_API_URL", "http://10.0.0.5"),
        ("ATTIO_REDIRECT_URI", "http://taskr.example.com/integrations/attio/callback"),
        ("ATTIO_AUTHORIZE_URL", "http://127.0.0.1.evil.example/authorize"), ("ATTIO_REVOKE_URL", "http://localhost.evil.example/r"),
        ("TASKR_SECRET_KEY", "too-short"), ("TASKR_SECRET_KEY", String(repeating: "z", count: 64)),
        // Full-width digits are hex digits to Character.isHexDigit, not to UInt8(_:radix:).
        ("TASKR_SECRET_KEY", String(repeating: "\u{FF11}", count: 64)),
        ("TASKR_PREVIOUS_SECRET_KEYS", "AAAA,BBBB"),
        // An origin, https (http only on loopback), no path or query.
        ("TASKR_PUBLIC_URL", "http://taskr.example.com"), ("TASKR_PUBLIC_URL", "https://taskr.example.com/app"),
        ("TASKR_PUBLIC_URL", "https://taskr.example.com/?x=1"), ("TASKR_PUBLIC_URL", "taskr.example.com"),
    ])
    func malformedAttioOrKeyValueStopsStartUpNamingTheVariable(_ variable: String, _ value: String) async throws {
        do {
            _ = try await load([variable: value])
            Issue.record("\(variable) was accepted")
        } catch {
            #expect(String(describing: error).hasPrefix("\(variable) is invalid"))
            #expect(!String(describing: error).contains(value), "the value itself is not echoed")
        }
    }
}
