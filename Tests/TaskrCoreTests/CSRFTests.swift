import Foundation
import HTTP
import Testing

@testable import TaskrCore

@Suite("CSRF protection")
struct CSRFTests {
    @Test func postWithoutTokenIs403AndChangesNothing() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.get("/signup")
        let response = try browser.post("/signup", [("username", "ann"), ("password", "correct horse")])
        #expect(response.status == .forbidden)
        #expect(response.text.contains("This form has expired or was not sent from Taskr"))
        #expect(try test.count("users") == 0)
    }

    @Test func postWithAWrongTokenIs403() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.get("/signup")
        let response = try browser.post("/signup", [("username", "ann"), ("password", "correct horse"), ("_csrf", "x")])
        #expect(response.status == .forbidden)
        #expect(try test.count("users") == 0)
    }

    @Test func tokenOfAnotherSessionIs403() async throws {
        let test = try await TestApp()
        var attacker = test.browser()
        let token = try #require(Browser.csrf(in: try attacker.get("/signup")))
        var victim = test.browser()
        try victim.get("/signup")
        let response = try victim.post("/signup", [("username", "ann"), ("password", "correct horse"), ("_csrf", token)])
        #expect(response.status == .forbidden)
    }

    @Test func postWithoutASessionIs403() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let token = try #require(Browser.csrf(in: try browser.get("/login")))
        browser.cookies = [:]
        #expect(try browser.post("/login", [("username", "a"), ("password", "b"), ("_csrf", token)]).status == .forbidden)
    }

    @Test func logoutWithAWrongTokenKeepsTheSession() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        #expect(try browser.post("/logout", [("_csrf", "forged")]).status == .forbidden)
        #expect(try browser.get("/").text.contains("Welcome to Taskr!"))
    }

    @Test(arguments: [
        "https://evil.example", "null", "http://localhost.evil.example", "not a url", "http://[::2]:3050",
        "http://user@evil.example", "http://bücher.example", "http://localhost:3050/path",
    ])
    func foreignOriginIs403EvenWithAValidToken(_ origin: String) async throws {
        let test = try await TestApp()
        var browser = test.browser()
        browser.headers["Origin"] = origin
        #expect(try browser.signup("ann", "correct horse").status == .forbidden)
        #expect(try test.count("users") == 0)
    }

    @Test func crossSiteFetchIs403EvenWithAValidToken() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        browser.headers["Sec-Fetch-Site"] = "cross-site"
        #expect(try browser.signup("ann", "correct horse").status == .forbidden)
    }

    @Test(arguments: [
        ("http://localhost:3050", "localhost"), ("https://LOCALHOST", "localhost"),
        // IPv6 literals, trailing dots and IDNs (punycode in both headers, as browsers send them).
        ("http://[::1]:3050", "[::1]:3050"), ("http://localhost.:3050", "localhost:3050"),
        ("https://xn--bcher-kva.example", "xn--bcher-kva.example"),
    ])
    func sameHostOriginPasses(_ origin: String, _ host: String) async throws {
        let test = try await TestApp()
        var browser = test.browser()
        browser.headers["Origin"] = origin
        browser.headers["Host"] = host
        browser.headers["Sec-Fetch-Site"] = "same-origin"
        #expect(try browser.signup("ann", "correct horse").status == .seeOther)
    }

    @Test func formPostedAsAnotherTypeIs415() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.get("/login")
        let request = try Request(
            method: .post, target: "/login",
            headers: [
                "Host": "localhost", "Cookie": "taskr_visitor=\(try #require(browser.cookies["taskr_visitor"]))", "Content-Type": "application/json",
            ],
            body: Array(#"{"username":"ann"}"#.utf8))
        #expect(test.app.respond(to: request).status == .unsupportedMediaType)
    }

    @Test func visitorTokenExpiresAfterTwoHours() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        try browser.logout()
        let token = try #require(Browser.csrf(in: try browser.get("/login")))
        test.clock.advance(by: 2 * 3600 - 1)
        #expect(try browser.post("/login", [("username", "ann"), ("password", "wrong horse"), ("_csrf", token)]).status == .unauthorized)
        test.clock.advance(by: 1)
        #expect(try browser.post("/login", [("username", "ann"), ("password", "correct horse"), ("_csrf", token)]).status == .forbidden)
    }

    @Test func visitorTokenIsBoundToTheCookieItWasIssuedWith() async throws {
        let test = try await TestApp()
        var attacker = test.browser()
        let token = try #require(Browser.csrf(in: try attacker.get("/login")))
        var victim = test.browser()
        try victim.get("/login")
        #expect(victim.cookies["taskr_visitor"] != attacker.cookies["taskr_visitor"])
        #expect(try victim.post("/login", [("username", "a"), ("password", "b"), ("_csrf", token)]).status == .forbidden)
        // The attacker's own cookie and token pass, and so does a token of the same key on another host.
        #expect(try attacker.post("/login", [("username", "a"), ("password", "bbbbbbbb"), ("_csrf", token)]).status == .unauthorized)
    }

    @Test func refusalsAreSecurityEventsInTheLog() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.get("/signup")
        try browser.post("/signup", [("username", "ann"), ("password", "correct horse"), ("_csrf", "x")])
        browser.headers["Origin"] = "https://evil.example"
        try browser.signup("ann", "correct horse")
        #expect(test.logs.text.contains("security: refused POST /signup from an unknown address: missing, expired or wrong _csrf token"))
        #expect(test.logs.text.contains("security: refused POST /signup from an unknown address: cross-site (Origin or Sec-Fetch-Site)"))
    }
}
