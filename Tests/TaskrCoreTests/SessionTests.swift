import Foundation
import HTTP
import Sodium
import Testing

@testable import TaskrCore

@Suite("Sessions and cookies")
struct SessionTests {
    @Test(arguments: StoreEngine.available) func cookieIsSecureOverTLS(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser(secure: true)
        try browser.get("/signup")
        let response = try browser.signup("ann", "correct horse")
        let cookie = try #require(response.headers["Set-Cookie"])
        #expect(cookie.contains("; Secure"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
    }

    @Test func idIsUnguessableAndOnlyItsHashIsStored() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        let token = try #require(browser.sessionCookie)
        #expect(token.count == 43)  // 256 bits, base64url
        let stored = try test.database.blobs("SELECT id_hash FROM sessions")
        #expect(stored.contains(SHA256.hash(Array(token.utf8))))
        #expect(try test.databaseBytes().range(of: Data(token.utf8)) == nil)
    }

    @Test(arguments: StoreEngine.available) func idleSessionExpires(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        test.clock.advance(by: 29 * 60)
        #expect(try browser.get("/").text.contains("Welcome to Taskr!"))
        test.clock.advance(by: 29 * 60)  // used 29 minutes ago: still fine
        #expect(try browser.get("/").text.contains("Welcome to Taskr!"))
        test.clock.advance(by: 30 * 60)
        let expired = try browser.get("/")
        #expect(expired.text.contains("You are not logged in"))
        #expect(expired.headers["Set-Cookie"]?.contains("Max-Age=0") == true, "the dead cookie is dropped")
    }

    @Test(arguments: StoreEngine.available) func sessionExpiresAtTheAbsoluteLimitEvenWhenUsed(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        // Every 20 minutes: logged in up to the last visit before 12 hours,
        // logged out at 12 hours, though never idle.
        for visit in 1...(12 * 3) {
            test.clock.advance(by: 20 * 60)
            let loggedIn = try browser.get("/").text.contains("Welcome to Taskr!")
            #expect(loggedIn == (visit < 36), "visit \(visit) at \(visit * 20) minutes")
        }
    }

    @Test(arguments: StoreEngine.available) func limitsComeFromTheSettings(engine: StoreEngine) async throws {
        var settings = Settings()
        settings.sessionIdleMinutes = 5
        let test = try await TestApp(settings: settings, engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        test.clock.advance(by: 5 * 60)
        #expect(try browser.get("/").text.contains("You are not logged in"))
    }

    @Test(arguments: StoreEngine.available) func lastSeenIsNotWrittenOnEveryRequest(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        func lastSeen() throws -> Int64? {
            try test.database.integers("SELECT last_seen_at FROM sessions").first
        }
        let start = try lastSeen()
        test.clock.advance(by: 30)
        try browser.get("/")
        #expect(try lastSeen() == start, "within the touch interval nothing is written")
        test.clock.advance(by: 31)
        try browser.get("/")
        #expect(try lastSeen() == start! + 61)
    }

    @Test(arguments: StoreEngine.available) func sessionsSurviveARestart(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        let cookie = browser.sessionCookie
        try await test.restart()
        var after = test.browser()
        after.cookies["taskr_session"] = cookie
        #expect(try after.get("/").text.contains("logged in as <strong>ann</strong>"))
    }

    @Test(arguments: ["garbage", "", String(repeating: "A", count: 43), "../../etc/passwd", String(repeating: "é", count: 43)])
    func unknownOrTamperedCookieIsLoggedOut(_ value: String) async throws {
        let test = try await TestApp()
        var browser = test.browser()
        browser.cookies["taskr_session"] = value
        let response = try browser.get("/")
        #expect(response.status == .ok)
        #expect(response.text.contains("You are not logged in"))
    }

    @Test(arguments: StoreEngine.available) func flippedCharacterInAValidCookieIsLoggedOut(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        var token = Array(try #require(browser.sessionCookie))
        token[10] = token[10] == "A" ? "B" : "A"
        browser.cookies["taskr_session"] = String(token)
        #expect(try browser.get("/").text.contains("You are not logged in"))
    }

    /// A database that fails the session read (PostgreSQL down: 503) must
    /// not log the visitor out: the page fails, the cookie stays.
    @Test(arguments: StoreEngine.available) func aFailedSessionReadLeavesTheCookieAlone(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        let cookie = try #require(browser.sessionCookie)
        try test.database.execute("DROP TABLE oauth_states")
        try test.database.execute("DROP TABLE sessions")
        let response = try browser.get("/")
        #expect(response.status == .internalServerError)
        #expect(response.headers.values("Set-Cookie").allSatisfy { !$0.hasPrefix("taskr_session=") })
        #expect(browser.sessionCookie == cookie)
    }

    @Test(arguments: StoreEngine.available) func housekeepingRemovesExpiredSessionsAndOldFailures(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = test.browser()
        try ann.signup("ann", "correct horse")
        var visitor = test.browser()
        try visitor.login("nobody", "wrong password")
        #expect(try test.count("sessions") == 1)
        #expect(try test.count("login_throttle") == 3)
        test.clock.advance(by: 20 * 60)
        try test.app.removeExpiredData()
        #expect(try test.count("sessions") == 1, "live sessions stay")
        #expect(try test.count("login_throttle") == 3, "failures stay while they may still lock")
        test.clock.advance(by: 11 * 60)
        try test.app.removeExpiredData()
        #expect(try test.count("sessions") == 0)
        #expect(try test.count("login_throttle") == 0)
    }

    /// Pages for logged-out visitors write nothing: not a session row, not a
    /// byte of the database file or its WAL.
    @Test func pagesForLoggedOutVisitorsWriteNothing() async throws {
        let test = try await TestApp()
        var owner = test.browser()
        try owner.signup("ann", "correct horse")
        try owner.logout()
        let before = try test.databaseBytes()
        var stranger = test.browser()
        for path in [
            "/", "/login", "/signup", "/logout", "/account", "/healthz", "/integrations/attio/connect", "/integrations/attio/callback", "/nowhere",
        ] {
            try stranger.get(path)
            try stranger.get(path)
        }
        // A logged-out POST to /logout, and a forged or stale cookie.
        try stranger.logout()
        stranger.cookies["taskr_session"] = String(repeating: "A", count: 43)
        try stranger.get("/")
        #expect(try test.databaseBytes() == before)
        #expect(try test.count("sessions") == 0)
    }

    /// An expired session's row is left to housekeeping: reading it writes nothing.
    @Test(arguments: StoreEngine.available) func expiredSessionsAreRemovedByHousekeepingNotByRequests(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        test.clock.advance(by: 31 * 60)
        #expect(try browser.get("/").text.contains("You are not logged in"))
        #expect(try test.count("sessions") == 1)
        try test.app.removeExpiredData()
        #expect(try test.count("sessions") == 0)
    }
}
