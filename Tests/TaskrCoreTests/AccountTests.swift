import Foundation
import HTTP
import Testing

@testable import TaskrCore

private let firefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
private let chromeOnWindows =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

/// A browser of `name` (signed up by `test` with "correct horse" if new)
/// logged in with this `User-Agent`.
private func session(_ test: TestApp, _ name: String, userAgent: String, signUp: Bool = false) throws -> Browser {
    var browser = test.browser()
    browser.headers["User-Agent"] = userAgent
    let response = signUp ? try browser.signup(name, "correct horse") : try browser.login(name, "correct horse")
    #expect(response.status == .seeOther)
    return browser
}

/// Whether `browser` is still logged in.
private func isLoggedIn(_ browser: Browser) throws -> Bool {
    var browser = browser
    return try browser.get("/account").status == .ok
}

private func changePassword(_ browser: inout Browser, current: String, new: String) throws -> Response {
    try browser.post("/account/password", [("current_password", current), ("new_password", new)], csrfFrom: "/account")
}

@Suite("Account page")
struct AccountTests {
    @Test(arguments: StoreEngine.available) func loggedOutVisitorsAreSentToLogInAndChangeNothing(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        _ = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        var visitor = test.browser()
        let page = try visitor.get("/account")
        #expect(page.status == .seeOther)
        #expect(page.headers["Location"] == "/login")
        // With a valid visitor token from the log-in form: still nothing.
        for (route, fields) in [
            ("/account/password", [("current_password", "correct horse"), ("new_password", "another horse")]),
            ("/account/sessions/revoke", []), ("/account/delete", [("password", "correct horse")]),
        ] {
            let response = try visitor.post(route, fields, csrfFrom: "/login")
            #expect(response.status == .seeOther, "\(route)")
            #expect(response.headers["Location"] == "/login", "\(route)")
        }
        #expect(try test.count("users") == 1)
        #expect(try test.count("sessions") == 1)
    }

    @Test(arguments: StoreEngine.available) func homeLinksToThePageWhichListsLiveSessionsAndMarksThisOne(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var firefox = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        _ = try session(test, "ann", userAgent: "curl/8.5.0")
        #expect(try firefox.get("/").text.contains(#"<a href="/account">Your account</a>"#))
        // Firefox's session is used again and Chrome's begins just before
        // curl's goes idle past the limit: curl's is not live any more.
        test.clock.advance(by: test.settings.sessionPolicy.idleTimeout - 10)
        try firefox.get("/")
        _ = try session(test, "ann", userAgent: chromeOnWindows)
        test.clock.advance(by: 20)

        let page = try firefox.get("/account")
        #expect(page.status == .ok)
        let html = page.text
        #expect(html.contains("<strong>ann</strong>"))
        #expect(html.contains("Firefox on Linux"))
        #expect(html.contains("Chrome on Windows"))
        #expect(!html.contains("curl"), "the idle session is not live")
        #expect(html.components(separatedBy: "this session").count == 2, "one session is marked")
        let current = try #require(html.range(of: #"<li class="current">"#))
        #expect(html[current.upperBound...].prefix(60).contains("Firefox on Linux"))
        // Times in UTC to the minute: Firefox's began at the test clock's start.
        #expect(html.contains("began 2027-01-15 08:00 UTC"))
        for field in [
            #"action="/account/password""#, #"name="current_password""#, #"name="new_password""#,
            #"action="/account/sessions/revoke""#, #"action="/account/delete""#, #"name="password""#,
        ] {
            #expect(html.contains(field), "\(field)")
        }
        #expect(html.components(separatedBy: #"name="_csrf""#).count == 4, "every form carries _csrf")
        _ = try session(test, "ann", userAgent: "curl/8.5.0")
        #expect(try firefox.get("/account").text.contains(">curl<"))
    }

    @Test(arguments: StoreEngine.available) func aHostileNameAndUserAgentStayText(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        browser.headers["User-Agent"] = "\(Hostile.tag) Firefox/1 \(Hostile.quote)"
        let name = "\(Hostile.tag)\(Hostile.ampersand)"
        #expect(try browser.signup(name, "correct horse").status == .seeOther)
        let html = try browser.get("/account").text
        expectEscaped(html, [Hostile.all[0], Hostile.all[4]])
        #expect(!bytes(html, contain: Hostile.quote))
        #expect(html.contains(">Firefox<"), "the label is made of known words only")
    }

    @Test(arguments: StoreEngine.available) func changingThePasswordEndsOtherSessionsAndRotatesThisOne(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        let other = try session(test, "ann", userAgent: chromeOnWindows)
        let bob = try session(test, "bob", userAgent: chromeOnWindows, signUp: true)
        var before = test.browser(continuing: ann)
        let oldCookie = try #require(ann.sessionCookie)

        let response = try changePassword(&ann, current: "correct horse", new: "battery staple")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/account?done=password")
        #expect(ann.sessionCookie != nil && ann.sessionCookie != oldCookie, "a new session id")
        #expect(try ann.get("/account?done=password").text.contains("Your password was changed."))
        #expect(try before.get("/account").status == .seeOther, "the old id is dead")
        #expect(try !isLoggedIn(other), "the other session ended")
        #expect(try isLoggedIn(bob), "another user's session is untouched")

        var fresh = test.browser()
        #expect(try fresh.login("ann", "correct horse").status == .unauthorized)
        #expect(try fresh.login("ann", "battery staple").status == .seeOther)
        #expect(!test.logs.text.contains("battery staple"))
    }

    @Test(arguments: StoreEngine.available) func aWrongCurrentPasswordIs401AndCountsAsAFailedLogIn(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        let other = try session(test, "ann", userAgent: chromeOnWindows)
        let hash = try test.database.texts("SELECT password_hash FROM users").first
        for _ in 0..<LoginThrottle.pairFreeFailures {
            let response = try changePassword(&ann, current: "wrong horse", new: "battery staple")
            #expect(response.status == .unauthorized)
            #expect(response.text.contains("That is not your current password."))
        }
        // The pair is locked now, for the right password too, here and at log-in.
        let locked = try changePassword(&ann, current: "correct horse", new: "battery staple")
        #expect(locked.status == .tooManyRequests)
        #expect(locked.headers["Retry-After"] != nil)
        var fresh = test.browser()
        #expect(try fresh.login("ann", "correct horse").status == .tooManyRequests)
        #expect(try test.database.texts("SELECT password_hash FROM users").first == hash)
        #expect(try isLoggedIn(other), "nothing ended")
        #expect(test.logs.text.contains("security: failed log-in for user 1 from an unknown address: wrong password (password change)"))
    }

    @Test(arguments: [
        ("correct horse", "short", "at least 8 characters"),
        ("correct horse", "Password1", "too common"),
        ("correct horse", String(repeating: "p", count: 1025), "at most 1024 characters"),
        ("", "battery staple", "Enter your current password."),
    ])
    func anInvalidNewPasswordIs400SayingWhyAndChangesNothing(_ current: String, _ new: String, _ message: String) async throws {
        let test = try await TestApp()
        var ann = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        let cookie = ann.sessionCookie
        let response = try changePassword(&ann, current: current, new: new)
        #expect(response.status == .badRequest)
        #expect(response.text.contains(message))
        #expect(ann.sessionCookie == cookie)
        var fresh = test.browser()
        #expect(try fresh.login("ann", "correct horse").status == .seeOther)
    }

    @Test(arguments: StoreEngine.available) func loggingOutOtherSessionsKeepsThisOne(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        let others = [try session(test, "ann", userAgent: chromeOnWindows), try session(test, "ann", userAgent: "curl/8.5.0")]
        let bob = try session(test, "bob", userAgent: chromeOnWindows, signUp: true)
        let cookie = ann.sessionCookie
        let response = try ann.post("/account/sessions/revoke", [], csrfFrom: "/account")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/account?done=sessions")
        #expect(ann.sessionCookie == cookie, "this session keeps its id")
        for other in others { #expect(try !isLoggedIn(other)) }
        #expect(try isLoggedIn(bob))
        let page = try ann.get("/account?done=sessions").text
        #expect(page.contains("Your other sessions were logged out."))
        #expect(try !ann.get("/account").text.contains("logged out."), "the notice only after the step")
        #expect(page.contains(#"disabled>Log out my other sessions"#), "nothing left to log out")
        #expect(try test.count("sessions") == 2)
    }

    @Test(arguments: StoreEngine.available) func deletingNeedsThePasswordRevokesAttioAndFreesTheName(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        let token = test.attio.lastIssuedToken
        var bob = try loggedIn(test, "bob")
        try connect(&bob)
        _ = try ann.get("/integrations/attio/connect")  // an OAuth state of ann's session
        var stranger = test.browser()
        #expect(try stranger.login("ann", "a wrong guess").status == .unauthorized)  // a throttle counter of ann's name

        let wrong = try ann.post("/account/delete", [("password", "not it")], csrfFrom: "/account")
        #expect(wrong.status == .unauthorized)
        #expect(wrong.text.contains("That is not your current password."))
        #expect(try test.count("users") == 2)
        #expect(test.attio.requests(to: "/oauth/revoke").isEmpty)

        let response = try ann.post("/account/delete", [("password", "correct horse")], csrfFrom: "/account")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        #expect(response.headers.values("Set-Cookie").contains { $0.hasPrefix("taskr_session=;") && $0.contains("Max-Age=0") })
        let revoked = test.attio.requests(to: "/oauth/revoke").map { String(decoding: $0.body ?? Data(), as: UTF8.self) }
        #expect(revoked.count == 1 && revoked[0].contains("token=\(token)"))
        // Revocation is a client call: Attio wants the client's own credentials with it.
        let fields = Dictionary(
            (revoked.first ?? "").split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { first, _ in first })
        #expect(fields["client_id"] == "test-client")
        #expect(fields["client_secret"] == "test-client-secret")
        // Nothing of ann's is left; bob's is all there.
        let annDigest = ThrottleKeys.usernameDigest("ann")
        func rows(_ sql: String, _ arguments: [DatabaseValue] = []) throws -> Int {
            Int(try test.database.integers(sql, arguments).first ?? -1)
        }
        #expect(try rows("SELECT count(*) FROM users WHERE username_key = 'ann'") == 0)
        #expect(try rows("SELECT count(*) FROM sessions WHERE user_id = 1") == 0)
        #expect(try rows("SELECT count(*) FROM attio_connections WHERE user_id = 1") == 0)
        #expect(try rows("SELECT count(*) FROM oauth_states") == 0)
        #expect(try rows("SELECT count(*) FROM login_throttle WHERE username_hash = $1", [.blob(annDigest)]) == 0)
        #expect(try test.count("attio_connections") == 1)
        #expect(try bob.get("/").text.contains("Your Attio tasks"))
        #expect(try ann.get("/").text.contains("You are not logged in"))

        var again = test.browser()
        #expect(try again.signup("ann", "a new beginning").status == .seeOther, "the name is free")
        #expect(try again.get("/").text.contains("Connect Attio"), "and starts without a connection")
    }

    @Test(arguments: StoreEngine.available) func deletingWithoutAPasswordIs400AndWhenLockedIs429(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        let empty = try ann.post("/account/delete", [("password", "")], csrfFrom: "/account")
        #expect(empty.status == .badRequest)
        #expect(empty.text.contains("Enter your password to delete your account."))
        var guesser = test.browser()
        for _ in 0..<LoginThrottle.pairFreeFailures { try guesser.login("ann", "wrong guess") }
        let locked = try ann.post("/account/delete", [("password", "correct horse")], csrfFrom: "/account")
        #expect(locked.status == .tooManyRequests)
        #expect(locked.text.contains("Too many wrong passwords."))
        #expect(try test.count("users") == 1)
    }

    @Test(arguments: StoreEngine.available) func deletingWithAnAttioThatDoesNotAnswerStillDeletes(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        test.attio.fail("/oauth/revoke", with: .timeout)
        let response = try ann.post("/account/delete", [("password", "correct horse")], csrfFrom: "/account")
        #expect(response.status == .seeOther)
        #expect(try test.count("users") == 0)
        #expect(try test.count("attio_connections") == 0)
        #expect(test.logs.text.contains("revoking an Attio token of user 1 (the user disconnected) failed"))
    }

    @Test(arguments: StoreEngine.available) func accountFormsNeedTheirCSRFToken(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try session(test, "ann", userAgent: firefoxOnLinux, signUp: true)
        let other = try session(test, "ann", userAgent: chromeOnWindows)
        for (route, fields) in [
            ("/account/password", [("current_password", "correct horse"), ("new_password", "battery staple")]),
            ("/account/sessions/revoke", []), ("/account/delete", [("password", "correct horse")]),
        ] {
            #expect(try ann.post(route, fields + [("_csrf", "forged")]).status == .forbidden, "\(route)")
        }
        #expect(try isLoggedIn(other))
        #expect(try test.count("users") == 1)
    }
}

@Suite("Account page: browser labels and common passwords")
struct AccountPartsTests {
    @Test(arguments: [
        (firefoxOnLinux, "Firefox on Linux"),
        (chromeOnWindows, "Chrome on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows"
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS"
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android"
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
        ("<script>alert(1)</script>", "Unknown browser"),
    ])
    func userAgentsGetShortLabels(_ userAgent: String, _ label: String) {
        #expect(ClientLabel.describe(userAgent: userAgent) == label)
    }

    @Test func theBundledListHasTenThousandPasswordsOfEightOrMore() throws {
        let common = try CommonPasswords.bundled.get()
        #expect(common.count >= 10_000)
        #expect(common.contains("password"))
        #expect(!common.contains("dragon"), "on the list but shorter than 8: never loaded")
        #expect(common.contains("PASSWORD1"), "case-insensitively")
        #expect(!common.contains("correct horse"))
        #expect(!common.contains(String(repeating: "a", count: 100_000)))
    }
}
