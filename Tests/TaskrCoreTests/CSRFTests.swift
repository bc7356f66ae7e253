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

    @Test(arguments: ["https://evil.example", "null", "http://localhost.evil.example", "not a url"])
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

    @Test(arguments: ["http://localhost:3050", "https://LOCALHOST"])
    func sameHostOriginPasses(_ origin: String) async throws {
        let test = try await TestApp()
        var browser = test.browser()
        browser.headers["Origin"] = origin
        browser.headers["Sec-Fetch-Site"] = "same-origin"
        #expect(try browser.signup("ann", "correct horse").status == .seeOther)
    }

    @Test func formPostedAsAnotherTypeIs415() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.get("/login")
        let request = try Request(
            method: .post, target: "/login",
            headers: ["Host": "localhost", "Cookie": "taskr_session=\(browser.sessionCookie!)", "Content-Type": "application/json"],
            body: Array(#"{"username":"ann"}"#.utf8))
        #expect(test.app.respond(to: request).status == .unsupportedMediaType)
    }
}
