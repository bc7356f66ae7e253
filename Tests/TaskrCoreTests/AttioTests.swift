import Dispatch
import Foundation
import GRDB
import HTTP
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

/// Signs up a user and returns the browser, logged in.
func loggedIn(_ test: TestApp, _ name: String = "ann") throws -> Browser {
    var browser = test.browser()
    try browser.signup(name, "correct horse")
    return browser
}

/// The `state` in a redirect to the authorize URL.
func oauthState(in response: Response) -> String? {
    response.headers["Location"].flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == "state" }?.value }
}

/// Connects the browser's user through the fake Attio: connect, then the callback with a code.
@discardableResult
func connect(_ browser: inout Browser) throws -> Response {
    let redirect = try browser.get("/integrations/attio/connect")
    let state = try #require(oauthState(in: redirect))
    return try browser.get("/integrations/attio/callback?code=the-code&state=\(state)")
}

@Suite("Attio: connect")
struct AttioConnectTests {
    @Test func loggedOutGoesToLogin() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let response = try browser.get("/integrations/attio/connect")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/login")
    }

    @Test func notConfiguredExplainsWhichVariablesToSet() async throws {
        var settings = TestApp.configured
        settings.attio.clientSecret = nil
        let test = try await TestApp(settings: settings)
        var browser = try loggedIn(test)
        let response = try browser.get("/integrations/attio/connect")
        #expect(response.status == .ok)
        #expect(response.text.contains("Attio is not configured"))
        #expect(response.text.contains("<code>ATTIO_CLIENT_SECRET</code>"))
        #expect(!response.text.contains("<code>ATTIO_CLIENT_ID</code>"))
    }

    @Test func redirectsToAuthorizeWithAFreshStateBoundToTheSession() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let response = try browser.get("/integrations/attio/connect")
        #expect(response.status == .seeOther)
        let location = try #require(response.headers["Location"])
        let url = try #require(URLComponents(string: location))
        #expect(url.scheme == "https" && url.host == "app.attio.com" && url.path == "/authorize")
        let query = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["response_type"] == "code")
        #expect(query["client_id"] == "test-client")
        #expect(query["redirect_uri"] == "http://localhost:3050/integrations/attio/callback")
        #expect(location.contains("redirect_uri=http%3A%2F%2Flocalhost%3A3050%2Fintegrations%2Fattio%2Fcallback"))
        #expect(query["state"]?.count == 43)
        #expect(query["scope"] == nil && query["code_challenge"] == nil)
        #expect(oauthState(in: try browser.get("/integrations/attio/connect")) != query["state"], "a fresh state every time")
        // Only the state's hash is stored.
        let stored = try test.database.read { try Data.fetchAll($0, sql: "SELECT state_hash FROM oauth_states") }
        #expect(stored.contains(Data(SHA256.hash(Array(query["state"]!.utf8)))))
        #expect(try test.databaseBytes().range(of: Data(query["state"]!.utf8)) == nil)
    }
}

@Suite("Attio: callback")
struct AttioCallbackTests {
    @Test func successStoresTheSealedTokenAndGoesHome() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let response = try connect(&browser)
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        #expect(response.headers["Referrer-Policy"] == "no-referrer")
        let exchange = try #require(test.attio.requests(to: "/oauth/token").first)
        #expect(exchange.method == "POST")
        #expect(exchange.headers["Content-Type"] == "application/x-www-form-urlencoded")
        let form = try Parameters(urlEncoded: Array(exchange.body ?? Data()))
        #expect(form["grant_type"] == "authorization_code")
        #expect(form["code"] == "the-code")
        #expect(form["redirect_uri"] == "http://localhost:3050/integrations/attio/callback")
        #expect(form["client_id"] == "test-client")
        #expect(form["client_secret"] == "test-client-secret")
        #expect(try test.count("attio_connections") == 1)
        let home = try browser.get("/")
        #expect(home.text.contains("Your Attio tasks in Acme &lt;Corp&gt;"))
    }

    @Test func plaintextTokenIsNeverInTheDatabaseOrItsWAL() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        try browser.get("/")
        let token = test.attio.lastIssuedToken
        #expect(try test.databaseBytes().range(of: Data(token.utf8)) == nil)
        let keyID = try test.database.read { try String.fetchOne($0, sql: "SELECT key_id FROM attio_connections") }
        #expect(keyID == test.secretKey.id)
        #expect(!test.logs.text.contains(token))
        #expect(!test.logs.text.contains("test-client-secret"))
    }

    @Test func loggedOutGoesToLogin() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let response = try browser.get("/integrations/attio/callback?code=x&state=y")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/login")
    }

    @Test(arguments: [
        "/integrations/attio/callback?code=x", "/integrations/attio/callback?code=x&state=", "/integrations/attio/callback?code=x&state=unknown",
    ])
    func missingOrUnknownStateIs403(_ target: String) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let response = try browser.get(target)
        #expect(response.status == .forbidden)
        #expect(response.headers["Referrer-Policy"] == "no-referrer")
        #expect(test.attio.requests(to: "/oauth/token").isEmpty)
    }

    @Test func usedStateIs403() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        #expect(try browser.get("/integrations/attio/callback?code=a&state=\(state)").status == .seeOther)
        #expect(try browser.get("/integrations/attio/callback?code=b&state=\(state)").status == .forbidden)
        #expect(test.attio.requests(to: "/oauth/token").count == 1)
    }

    @Test func expiredStateIs403() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        test.clock.advance(by: 10 * 60)
        try browser.get("/")  // keep the session alive
        #expect(try browser.get("/integrations/attio/callback?code=a&state=\(state)").status == .forbidden)
    }

    @Test func stateOfAnotherSessionIs403() async throws {
        let test = try await TestApp()
        var attacker = try loggedIn(test, "mallory")
        let state = try #require(oauthState(in: try attacker.get("/integrations/attio/connect")))
        var victim = try loggedIn(test, "ann")
        #expect(try victim.get("/integrations/attio/callback?code=attackers-code&state=\(state)").status == .forbidden)
        #expect(try test.count("attio_connections") == 0)
    }

    @Test func deniedConsentIsA200PageAndStoresNothing() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        let response = try browser.get("/integrations/attio/callback?error=access_denied&state=\(state)")
        #expect(response.status == .ok)
        #expect(response.text.contains("Connection cancelled"))
        #expect(response.text.contains("access_denied"))
        #expect(test.attio.requests(to: "/oauth/token").isEmpty)
        #expect(try test.count("attio_connections") == 0)
    }

    @Test func missingCodeIs400() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        #expect(try browser.get("/integrations/attio/callback?state=\(state)").status == .badRequest)
    }

    @Test(arguments: [FakeAttio.Failure.status(500), .status(400, body: #"{"error":"invalid_grant"}"#), .timeout, .malformedJSON])
    func tokenEndpointFailureIs502AndStoresNothing(_ failure: FakeAttio.Failure) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        test.attio.fail("/oauth/token", with: failure)
        let response = try connect(&browser)
        #expect(response.status == .badGateway)
        #expect(response.text.contains("Attio did not complete the connection"))
        #expect(try test.count("attio_connections") == 0)
    }

    @Test func selfFailingStillConnects() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        test.attio.fail("/v2/self", with: .status(503))
        #expect(try connect(&browser).status == .seeOther)
        #expect(try browser.get("/").text.contains("Your Attio tasks"))
    }
}

@Suite("Attio: tasks on the home page")
struct AttioTasksTests {
    @Test func showsTasksEscapedWithDeadlineCompletionAndAssignees() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let html = try browser.get("/").text
        expectEscaped(html, [(#"Call <b>Bob</b> & "friends""#, "Call &lt;b&gt;Bob&lt;/b&gt; &amp; &quot;friends&quot;")])
        #expect(html.contains("due 2026-12-01 15:30 UTC"))
        #expect(html.contains("due 2026-12-24"))
        #expect(html.contains("for Ada Lovelace"))
        #expect(html.contains("for grace@example.com, Unknown member"))
        #expect(html.contains(#"<li class="done"><span class="text">Send invoice</span> <span class="badge">done</span>"#))
        #expect(html.components(separatedBy: "</li>").count - 1 == 3)
        #expect(html.contains(#"action="/integrations/attio/disconnect""#))
        let call = try #require(test.attio.requests(to: "/v2/tasks").last)
        #expect(call.url.query == "limit=10")
        #expect(call.headers["Authorization"] == "Bearer \(test.attio.lastIssuedToken)")
    }

    @Test func workspaceMembersAreCachedBetweenPages() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        try browser.get("/")
        test.clock.advance(by: 11)  // past the tasks' 10 s
        try browser.get("/")
        #expect(test.attio.requests(to: "/v2/tasks").count == 2)
        #expect(test.attio.requests(to: "/v2/workspace_members").count == 1)
        #expect(test.attio.requests(to: "/v2/self").count == 1, "the workspace name is learnt once, at connect")
        test.clock.advance(by: 10 * 60 - 12)  // 9:59 after the members were fetched
        try browser.get("/")
        #expect(test.attio.requests(to: "/v2/workspace_members").count == 1, "still cached just before 10 minutes")
        test.clock.advance(by: 11)  // past the tasks' 10 s too, so the page asks Attio again
        try browser.get("/")
        #expect(test.attio.requests(to: "/v2/workspace_members").count == 2, "fetched again past 10 minutes")
    }

    /// The caches hold recent users only: housekeeping forgets the rest, so
    /// memory does not grow with every user who ever connected (the soak).
    @Test func housekeepingForgetsCachesThatRanOut() async throws {
        let test = try await TestApp()
        for name in ["ann", "bob", "cy"] {
            var browser = try loggedIn(test, name)
            try connect(&browser)
            try browser.get("/")
        }
        #expect(test.app.taskFeed.cachedUsers.count == 3)
        try test.app.removeExpiredData()
        #expect(test.app.taskFeed.cachedUsers.count == 3, "nothing ran out yet")
        test.clock.advance(by: 11 * 60)  // past the members' 10 minutes
        try test.app.removeExpiredData()
        #expect(test.app.taskFeed.cachedUsers.count == 0)
    }

    @Test func tasksAreReusedForTenSeconds() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(try browser.get("/").text.contains("Send invoice"))
        test.clock.advance(by: 9)
        #expect(try browser.get("/").text.contains("Send invoice"))
        #expect(test.attio.requests(to: "/v2/tasks").count == 1)
        test.clock.advance(by: 2)
        try browser.get("/")
        #expect(test.attio.requests(to: "/v2/tasks").count == 2)
    }

    @Test func afterNoAnswerNobodyCallsAttioForTenSeconds() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try connect(&bob)
        test.attio.fail("/v2/tasks", with: .timeout)
        #expect(try ann.get("/").text.contains("Attio is not answering properly"))
        test.attio.fail("/v2/tasks", with: nil)
        #expect(try bob.get("/").text.contains("Attio is slow to answer right now"))
        #expect(test.attio.requests(to: "/v2/tasks").count == 1, "no call while Attio is given a rest")
        test.clock.advance(by: 9.9)
        #expect(try bob.get("/").text.contains("Attio is slow to answer right now"))
        #expect(test.attio.requests(to: "/v2/tasks").count == 1, "still resting just before 10 s")
        test.clock.advance(by: 0.1)
        #expect(try bob.get("/").text.contains("Send invoice"))
        #expect(test.attio.requests(to: "/v2/tasks").count == 2, "called again at 10 s")
    }

    // A time limit: were the limit broken, the third visitor would hang with the others.
    @Test(.timeLimit(.minutes(1))) func requestsBeyondTheAttioLimitDoNotWait() async throws {
        let test = try await TestApp()  // at most 2 calls to Attio at once
        var third = try loggedIn(test, "cyd")
        try connect(&third)
        let release = DispatchSemaphore(value: 0)
        let parked = try fillTheAttioGate(test, release: release, names: ["ann", "bob"])
        // Both slots are taken: the third visitor gets the page at once, with a notice.
        #expect(try third.get("/").text.contains("Attio is slow to answer right now"))
        #expect(test.attio.requests(to: "/v2/tasks").count == 2)
        release.signal()
        release.signal()
        parked.wait()
    }

    @Test func unauthorizedDropsTheTokenAndOffersConnectAgain() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail(
            "/v2/tasks", with: .status(401, body: #"{"status_code":401,"type":"auth_error","code":"unauthorized","message":"Token revoked"}"#))
        let response = try browser.get("/")
        #expect(response.status == .ok)
        #expect(response.text.contains("Please connect Attio again"))
        #expect(response.text.contains(#"href="/integrations/attio/connect""#))
        #expect(try test.count("attio_connections") == 0)
    }

    @Test func rateLimitShowsANoticeKeepsTheTokenAndStopsCallingUntilRetryAfter() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let retryAt = test.clock.now().addingTimeInterval(30)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        test.attio.fail(
            "/v2/tasks",
            with: .status(
                429, headers: ["retry-after": formatter.string(from: retryAt)],
                body: #"{"status_code":429,"type":"rate_limit_error","code":"rate_limit_exceeded","message":"slow down"}"#))
        let first = try browser.get("/")
        #expect(first.status == .ok)
        #expect(first.text.contains("Attio asked Taskr to slow down"))
        #expect(first.text.contains("about 30 seconds"))
        try browser.get("/")
        try browser.get("/")
        #expect(test.attio.requests(to: "/v2/tasks").count == 1, "no calls while Attio asked us to wait")
        test.attio.fail("/v2/tasks", with: nil)
        test.clock.advance(by: 29)
        #expect(try browser.get("/").text.contains("about 1 seconds"), "still paused a second before Retry-After")
        #expect(test.attio.requests(to: "/v2/tasks").count == 1)
        test.clock.advance(by: 1)
        #expect(try browser.get("/").text.contains("Send invoice"), "called again once Retry-After has come")
        #expect(test.attio.requests(to: "/v2/tasks").count == 2)
        #expect(try test.count("attio_connections") == 1)
    }

    @Test(arguments: [FakeAttio.Failure.status(500), .status(503), .timeout, .malformedJSON])
    func failureRendersTheHomePageWithANoticeAndKeepsTheToken(_ failure: FakeAttio.Failure) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail("/v2/tasks", with: failure)
        let response = try browser.get("/")
        #expect(response.status == .ok)
        #expect(response.text.contains("Welcome to Taskr!"))
        #expect(response.text.contains("Attio is not answering properly right now"))
        #expect(response.text.contains("Disconnect Attio"))
        #expect(try test.count("attio_connections") == 1)
    }

    @Test func membersFailingStillShowsTasks() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail("/v2/workspace_members", with: .timeout)
        let html = try browser.get("/").text
        #expect(html.contains("Send invoice"))
        #expect(html.contains("for Unknown member"))
    }

    @Test func emptyTaskListSaysSo() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.setTasks(#"{"data":[]}"#)
        #expect(try browser.get("/").text.contains("No tasks in this workspace yet."))
    }

    @Test(arguments: [
        ("2023-01-01T15:00:00.000000000Z", "2023-01-01 15:00 UTC"),
        ("2023-01-01", "2023-01-01"),
        ("soon", "soon"),
    ])
    func deadlinesAreFormatted(_ raw: String, _ shown: String) {
        #expect(TaskFeed.formatDeadline(raw) == shown)
    }

    @Test func retryAfterReadsHTTPDatesAndSeconds() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(AttioClient.retryAfter("Fri, 15 Jan 2027 08:00:30 GMT", now: now) == now.addingTimeInterval(30))
        #expect(AttioClient.retryAfter("12", now: now) == now.addingTimeInterval(12))
        #expect(AttioClient.retryAfter(nil, now: now) == now.addingTimeInterval(60))
        #expect(AttioClient.retryAfter("garbage", now: now) == now.addingTimeInterval(60))
        #expect(AttioClient.retryAfter("999999", now: now) == now.addingTimeInterval(3600))
    }

    /// Found by the `attio-json` fuzz target: Foundation's DateFormatter
    /// traps ("Incorrect range") on this text, which took the process down.
    @Test func nonASCIIRetryAfterFallsBackInsteadOfCrashing() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let hostile = "Wed, 10\u{07F0}\u{FFFD}\u{FFFD} 26 07:28:00 GMT"
        #expect(AttioClient.retryAfter(hostile, now: now) == now.addingTimeInterval(60))
        #expect(AttioClient.retryAfter("Fri, 15 Jan 2027 08:00:30 GMT\u{301}", now: now) == now.addingTimeInterval(60))
    }
}

@Suite("Attio: disconnect")
struct AttioDisconnectTests {
    @Test func revokesDeletesAndGoesHome() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let token = test.attio.lastIssuedToken
        let response = try browser.post("/integrations/attio/disconnect", [], csrfFrom: "/")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        let revoke = try #require(test.attio.requests(to: "/oauth/revoke").first)
        #expect(try Parameters(urlEncoded: Array(revoke.body ?? Data()))["token"] == token)
        #expect(revoke.timeout <= 3)
        #expect(try test.count("attio_connections") == 0)
        #expect(try browser.get("/").text.contains(#"href="/integrations/attio/connect""#))
    }

    @Test func revokeFailureStillForgetsTheToken() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail("/oauth/revoke", with: .timeout)
        #expect(try browser.post("/integrations/attio/disconnect", [], csrfFrom: "/").status == .seeOther)
        #expect(try test.count("attio_connections") == 0)
    }

    @Test func needsTheCSRFToken() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(try browser.post("/integrations/attio/disconnect", [("_csrf", "forged")]).status == .forbidden)
        #expect(try test.count("attio_connections") == 1)
        #expect(test.attio.requests(to: "/oauth/revoke").isEmpty)
    }
}

@Suite("Attio: keys at rest")
struct AttioKeyTests {
    @Test func rotatedKeyStillOpensOldTokensAndReseals() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let oldKey = test.secretKey
        test.secretKey = SecretKey.generate()
        test.settings.previousSecretKeys = [oldKey]
        try await test.restart()
        browser = test.browser(continuing: browser)
        #expect(try browser.get("/").text.contains("Send invoice"))
        let keyID = try test.database.read { try String.fetchOne($0, sql: "SELECT key_id FROM attio_connections") }
        #expect(keyID == test.secretKey.id, "re-sealed under the current key")
        // The old key is no longer needed.
        test.settings.previousSecretKeys = []
        try await test.restart()
        browser = test.browser(continuing: browser)
        #expect(try browser.get("/").text.contains("Send invoice"))
    }

    /// During a key change rolling out, a process that does not hold the
    /// new key yet must not delete the tokens another process sealed with it.
    @Test func tokenUnderAnUnknownKeyIsKeptAndConnectOffered() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let newKey = test.secretKey
        test.secretKey = SecretKey.generate()
        try await test.restart()
        browser = test.browser(continuing: browser)
        let html = try browser.get("/").text
        #expect(html.contains("cannot be read by this server right now"))
        #expect(html.contains(#"href="/integrations/attio/connect""#))
        #expect(try test.count("attio_connections") == 1, "kept")
        #expect(test.attio.requests(to: "/v2/tasks").isEmpty)
        // The process that holds the key reads it.
        test.secretKey = newKey
        try await test.restart()
        browser = test.browser(continuing: browser)
        #expect(try browser.get("/").text.contains("Send invoice"))
    }

    @Test func aTokenCopiedToAnotherUserDoesNotOpen() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try test.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO attio_connections (user_id, key_id, sealed_token, connected_at)
                    SELECT 2, key_id, sealed_token, connected_at FROM attio_connections WHERE user_id = 1
                    """)
        }
        #expect(try bob.get("/").text.contains("can no longer be read"))
        #expect(test.attio.requests(to: "/v2/tasks").count == 0)
    }

    @Test func keyFileIsCreatedOwnerOnlyOnceAndReused() async throws {
        try await withTemporaryDirectory { directory in
            let path = SecretKeyFile.path(forDatabase: directory.appendingPathComponent("taskr.sqlite3").path)
            #expect(path.hasSuffix("taskr.sqlite3.key"))
            let logs = LogCapture()
            let first = try SecretKeyFile.loadOrCreate(at: path, logger: logs.logger)
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(logs.text.contains("TASKR_SECRET_KEY is not set: generated a key"))
            #expect(!logs.text.contains(first.base64URL))
            let second = try SecretKeyFile.loadOrCreate(at: path, logger: logs.logger)
            #expect(second == first)
            try "not a key".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: KeyFileError.self) { try SecretKeyFile.loadOrCreate(at: path, logger: logs.logger) }
        }
    }

    /// A key file that is there but cannot be read is an error, not a
    /// reason to make another (once a recursion without end). A folder in
    /// its place cannot be read even by root, as CI runs.
    @Test func unreadableKeyFileFailsAtOnce() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taskr.sqlite3.key").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            #expect(throws: KeyFileError.self) { try SecretKeyFile.loadOrCreate(at: path, logger: LogCapture().logger) }
        }
    }

    /// Processes starting together with no key (`spawn-fcgi -F N`) must all
    /// end up with the one key that was written, never a half-written file.
    @Test func processesStartingTogetherAgreeOnOneKey() async throws {
        try await withTemporaryDirectory { directory in
            for round in 0..<10 {
                let path = directory.appendingPathComponent("race-\(round).sqlite3.key").path
                let keys = Mutex<[String]>([])
                DispatchQueue.concurrentPerform(iterations: 8) { _ in
                    let key = try? SecretKeyFile.loadOrCreate(at: path, logger: LogCapture().logger)
                    keys.withLock { $0.append(key?.id ?? "failed") }
                }
                let ids = keys.withLock { $0 }
                #expect(!ids.contains("failed"))
                #expect(Set(ids).count == 1)
                #expect(try SecretKeyFile.loadOrCreate(at: path, logger: LogCapture().logger).id == ids.first)
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("race-\(round).") }
                #expect(leftovers == ["race-\(round).sqlite3.key"])
            }
        }
    }
}

/// Two connected users' home pages hang in Attio's tasks endpoint until
/// `release` is signalled twice, filling the test application's two slots.
/// - Returns: the group the two parked requests leave when they finish.
func fillTheAttioGate(_ test: TestApp, release: DispatchSemaphore, names: [String] = ["bob", "cyd"]) throws -> DispatchGroup {
    var browsers: [Browser] = []
    for name in names {
        var browser = try loggedIn(test, name)
        try connect(&browser)
        browsers.append(browser)
    }
    test.attio.fail("/v2/tasks", with: .hang(release))
    let parked = DispatchGroup()
    for browser in browsers {
        parked.enter()
        Thread {
            var visitor = browser
            _ = try? visitor.get("/")
            parked.leave()
        }.start()
    }
    #expect(eventually { test.attio.requests(to: "/v2/tasks").count == 2 })
    return parked
}

@Suite("Attio: every call through the gate")
struct AttioGateTests {
    /// A busy moment does not fail a connection: the exchange waits briefly for a slot.
    @Test(.timeLimit(.minutes(1))) func theTokenExchangeWaitsBrieflyForAFreeSlot() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        let release = DispatchSemaphore(value: 0)
        let parked = try fillTheAttioGate(test, release: release)
        let attio = test.attio
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            attio.fail("/v2/tasks", with: nil)
            release.signal()
        }
        #expect(try connect(&ann).status == .seeOther)
        release.signal()
        parked.wait()
    }

    /// With every slot held longer than the wait, the callback gets 503 and Attio is not called.
    @Test(.timeLimit(.minutes(1))) func theTokenExchangeGives503WhenNoSlotFrees() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        let release = DispatchSemaphore(value: 0)
        let parked = try fillTheAttioGate(test, release: release)
        let exchangesBefore = test.attio.requests(to: "/oauth/token").count
        let response = try connect(&ann)
        #expect(response.status == .serviceUnavailable)
        #expect(response.text.contains("Attio is slow to answer right now"))
        #expect(test.attio.requests(to: "/oauth/token").count == exchangesBefore, "not called")
        #expect(try test.count("attio_connections") == 2)
        release.signal()
        release.signal()
        parked.wait()
        test.attio.fail("/v2/tasks", with: nil)
        #expect(try connect(&ann).status == .seeOther, "once the gate is free, it works")
    }

    @Test func afterNoAnswerTheTokenExchangeIsNotTried() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        test.attio.fail("/v2/tasks", with: .timeout)
        try ann.get("/")
        test.attio.fail("/v2/tasks", with: nil)
        let exchanges = test.attio.requests(to: "/oauth/token").count
        #expect(try connect(&ann).status == .serviceUnavailable)
        #expect(test.attio.requests(to: "/oauth/token").count == exchanges)
        test.clock.advance(by: 10)
        #expect(try connect(&ann).status == .seeOther)
    }

    @Test func revocationAfterNoAnswerIsNotTriedButTheTokenIsForgotten() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        test.attio.fail("/v2/tasks", with: .timeout)
        try ann.get("/")
        let home = try ann.get("/")
        try ann.post("/integrations/attio/disconnect", [("_csrf", Browser.csrf(in: home) ?? "")])
        #expect(test.attio.requests(to: "/oauth/revoke").isEmpty)
        #expect(try test.count("attio_connections") == 0)
        #expect(test.logs.text.contains("revoking an Attio token of user 1 (the user disconnected) failed: not called"))
    }

    @Test func reconnectingRevokesTheTokenItReplaces() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        let first = test.attio.lastIssuedToken
        #expect(test.attio.requests(to: "/oauth/revoke").isEmpty)
        try connect(&ann)
        let second = test.attio.lastIssuedToken
        let revoked = test.attio.requests(to: "/oauth/revoke").map { String(decoding: $0.body ?? Data(), as: UTF8.self) }
        #expect(revoked.count == 1)
        #expect(revoked.first?.contains("token=\(first)") == true)
        #expect(try ann.get("/").text.contains("Your Attio tasks"))
        #expect(test.attio.requests(to: "/v2/tasks").last?.headers["Authorization"] == "Bearer \(second)")
    }

    @Test func aTokenThatCannotBeStoredIsRevoked() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        // The account disappears while Attio answers: the row cannot be written.
        let database = test.database!
        test.attio.onExchange {
            try? database.write {
                try $0.execute(sql: "PRAGMA foreign_keys = OFF")
                try $0.execute(sql: "DELETE FROM users")
            }
            try? database.write { try $0.execute(sql: "PRAGMA foreign_keys = ON") }
        }
        let response = try connect(&ann)
        #expect(response.status == .internalServerError)
        #expect(try test.count("attio_connections") == 0)
        let revoked = test.attio.requests(to: "/oauth/revoke").map { String(decoding: $0.body ?? Data(), as: UTF8.self) }
        #expect(revoked.count == 1 && revoked[0].contains("token=\(test.attio.lastIssuedToken)"))
    }
}
