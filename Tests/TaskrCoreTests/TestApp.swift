import Foundation
import HTTP
import Logging
import Sodium
import Synchronization

@testable import TaskrCore

/// A clock that moves only when a test says so.
final class ManualClock: WallClock {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Every log line the application writes, for tests that check what is (not) logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var text: String { all.joined(separator: "\n") }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    /// The same capture behind ``EscapingLogHandler``, as `taskr serve` logs.
    var escapingLogger: Logger {
        var logger = Logger(label: "test") { _ in EscapingLogHandler(wrapping: CapturingHandler(capture: self)) }
        logger.logLevel = .debug
        return logger
    }

    private struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.append("\(event.level) \(event.message) \(event.metadata ?? [:])")
        }
    }
}

/// The SQL statements a database ran (``SQLiteDatabase``'s statement observer).
final class StatementLog: Sendable {
    private let statements = Mutex<[String]>([])
    var all: [String] { statements.withLock { $0 } }
    func append(_ sql: String) { statements.withLock { $0.append(sql) } }
    func removeAll() { statements.withLock { $0.removeAll() } }
}

/// A fresh application on a temporary database, with a manual clock and
/// captured logs; `restart()` builds a new application on the same file, as
/// a restart of `taskr serve` would.
final class TestApp {
    /// The database under test, on the engine the test asked for.
    let storage: TemporaryDatabase
    /// The SQLite file (SQLite only).
    var databasePath: String { storage.path }
    let clock = ManualClock()
    let logs = LogCapture()
    let attio: FakeAttio
    /// What the next ``restart(passwordHasher:)`` uses.
    var settings: Settings
    var secretKey = SecretKey.generate()
    /// Every SQL statement the database's connections ran, in order.
    let statements = StatementLog()
    private(set) var app: Application!
    private(set) var database: TaskrDatabase!

    /// Settings with an Attio client configured, so the connect flow runs.
    static var configured: Settings {
        var settings = Settings()
        settings.attio.clientID = "test-client"
        settings.attio.clientSecret = "test-client-secret"
        return settings
    }

    init(settings: Settings = TestApp.configured, passwordHasher: PasswordHasher = .owasp, engine: StoreEngine = .sqlite) async throws {
        storage = try TemporaryDatabase(engine)
        self.settings = settings
        self.attio = FakeAttio(clock: clock)
        try await restart(passwordHasher: passwordHasher)
    }

    func restart(passwordHasher: PasswordHasher = .owasp) async throws {
        let statements = statements
        database = try storage.open(statementObserver: { statements.append($0) })
        app = try Application(
            database: database, views: try await Views.bundled(), settings: settings,
            secretKey: secretKey, http: attio, clock: clock,
            passwordHasher: passwordHasher, concurrentAttioCalls: 2, logger: logs.logger)
    }

    func browser(secure: Bool = false, address: String? = nil) -> Browser {
        var browser = Browser(app: app, secure: secure)
        browser.address = address
        return browser
    }

    /// The same visitor (cookies and all) talking to the current application,
    /// e.g. after ``restart(passwordHasher:)``.
    func browser(continuing other: Browser) -> Browser {
        var browser = Browser(app: app, secure: other.secure)
        browser.cookies = other.cookies
        browser.headers = other.headers
        return browser
    }

    func count(_ table: String) throws -> Int { try database.count(table) }

    /// The database file and its WAL, as bytes, to look for what must not be there (SQLite).
    func databaseBytes() throws -> Data {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: databasePath))
        if let wal = try? Data(contentsOf: URL(fileURLWithPath: databasePath + "-wal")) { bytes.append(wal) }
        return bytes
    }
}

/// A browser of one visitor: keeps the cookies the application sets and
/// sends them back, and fills forms with the CSRF token of the page.
struct Browser {
    let app: Application
    var secure: Bool
    var cookies: [String: String] = [:]
    /// Extra headers for every request (Origin, Sec-Fetch-Site…).
    var headers: [String: String] = [:]
    /// The client address nginx would pass (`REMOTE_ADDR`).
    var address: String?

    init(app: Application, secure: Bool) {
        self.app = app
        self.secure = secure
    }

    var sessionCookie: String? { cookies[SessionManager.cookieName] }

    @discardableResult
    mutating func get(_ target: String) throws -> Response {
        send(try Request(method: .get, target: target, headers: requestHeaders(), remoteAddress: address, isSecure: secure))
    }

    /// POSTs `fields` as a form, adding the `_csrf` of `csrfFrom`'s page
    /// (GET first) unless `fields` has its own.
    @discardableResult
    mutating func post(_ target: String, _ fields: [(String, String)], csrfFrom page: String? = nil) throws -> Response {
        var fields = fields
        if let page, !fields.contains(where: { $0.0 == "_csrf" }) {
            fields.append(("_csrf", Browser.csrf(in: try get(page)) ?? ""))
        }
        let body = fields.map { "\(Browser.encode($0.0))=\(Browser.encode($0.1))" }.joined(separator: "&")
        var headers = requestHeaders()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return send(try Request(method: .post, target: target, headers: headers, body: Array(body.utf8), remoteAddress: address, isSecure: secure))
    }

    @discardableResult
    mutating func signup(_ username: String, _ password: String) throws -> Response {
        try post("/signup", [("username", username), ("password", password)], csrfFrom: "/signup")
    }

    @discardableResult
    mutating func login(_ username: String, _ password: String) throws -> Response {
        try post("/login", [("username", username), ("password", password)], csrfFrom: "/login")
    }

    @discardableResult
    mutating func logout() throws -> Response {
        try post("/logout", [], csrfFrom: "/logout")
    }

    /// The `_csrf` value of a page's form.
    static func csrf(in response: Response) -> String? {
        let html = response.text
        guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    private mutating func send(_ request: Request) -> Response {
        let response = app.respond(to: request)
        for header in response.headers.values("Set-Cookie") {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            if header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = String(pair[1]) }
        }
        return response
    }

    private func requestHeaders() -> Headers {
        var result = Headers()
        result["Host"] = "localhost"
        if !cookies.isEmpty { result["Cookie"] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        for (name, value) in headers { result[name] = value }
        return result
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
