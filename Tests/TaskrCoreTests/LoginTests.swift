import Dispatch
import Foundation
import HTTP
import Sodium
import Testing

@testable import TaskrCore

@Suite("Routes: log-in and log-out")
struct LoginTests {
    private func appWithAnn() async throws -> TestApp {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("Ann", "correct horse")
        return test
    }

    @Test func rightCredentialsStartANewSession() async throws {
        let test = try await appWithAnn()
        var browser = test.browser()
        // Fixation: a session cookie the browser already holds (planted by
        // someone else) is replaced, not upgraded.
        let earlier = String(repeating: "A", count: 43)
        browser.cookies["taskr_session"] = earlier
        let response = try browser.login("ann", "correct horse")  // usernames are case-insensitive
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        #expect(browser.sessionCookie != earlier)
        #expect(try browser.get("/").text.contains("logged in as <strong>Ann</strong>"))
        var attacker = test.browser()
        attacker.cookies["taskr_session"] = earlier
        #expect(try attacker.get("/").text.contains("You are not logged in"))
    }

    @Test func wrongPasswordAndUnknownUserGetTheSame401() async throws {
        let test = try await appWithAnn()
        var first = test.browser()
        let wrongPassword = try first.login("ann", "wrong horse")
        var second = test.browser()
        let unknownUser = try second.login("nobody", "wrong horse")
        #expect(wrongPassword.status == .unauthorized)
        #expect(unknownUser.status == .unauthorized)
        #expect(wrongPassword.text.contains("Wrong username or password."))
        // The pages differ only in the echoed username and the CSRF token.
        func normalized(_ response: Response, _ name: String) -> String {
            response.text.replacingOccurrences(of: Browser.csrf(in: response) ?? "", with: "")
                .replacingOccurrences(of: #"value="\#(name)""#, with: "")
        }
        #expect(normalized(wrongPassword, "ann") == normalized(unknownUser, "nobody"))
        #expect(try first.get("/").text.contains("You are not logged in"))
    }

    @Test func blankFieldsAre400() async throws {
        let test = try await appWithAnn()
        var browser = test.browser()
        let response = try browser.login(" ", "")
        #expect(response.status == .badRequest)
        #expect(response.text.contains("Enter your username and password."))
    }

    @Test func loggedInVisitorIsSentHome() async throws {
        let test = try await appWithAnn()
        var browser = test.browser()
        try browser.login("ann", "correct horse")
        #expect(try browser.get("/login").status == .seeOther)
    }

    @Test func oldHashIsUpgradedAtLogin() async throws {
        let weak = PasswordHasher(operationsLimit: 1, memoryLimit: 8 * 1024 * 1024)
        let test = try await TestApp(passwordHasher: weak)
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        func storedHash() throws -> String? {
            try test.database.texts("SELECT password_hash FROM users").first
        }
        #expect(try storedHash()?.contains("m=8192,t=1") == true)

        try await test.restart(passwordHasher: .owasp)
        var again = test.browser()
        #expect(try again.login("ann", "correct horse").status == .seeOther)
        #expect(try storedHash()?.contains("m=19456,t=2,p=1") == true)
        #expect(test.logs.text.contains("rehashed the password of user 1"))
        var third = test.browser()
        #expect(try third.login("ann", "correct horse").status == .seeOther, "the new hash verifies")
    }

    @Test func logoutPageHasAPostButton() async throws {
        let test = try await appWithAnn()
        var browser = test.browser()
        try browser.login("ann", "correct horse")
        let page = try browser.get("/logout")
        #expect(page.status == .ok)
        #expect(page.text.contains(#"<form method="post" action="/logout">"#))
        #expect(page.text.contains(#"<button type="submit">Log out</button>"#))
    }

    @Test func logoutDestroysTheSessionAndExpiresTheCookie() async throws {
        let test = try await appWithAnn()
        var browser = test.browser()
        try browser.login("ann", "correct horse")
        let loggedInCookie = try #require(browser.sessionCookie)
        let response = try browser.logout()
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        #expect(response.headers["Set-Cookie"]?.hasPrefix("taskr_session=; Path=/; Max-Age=0") == true)
        #expect(browser.sessionCookie == nil)

        // Replaying the old cookie gets nothing: the session is gone on the server.
        var replay = test.browser()
        replay.cookies["taskr_session"] = loggedInCookie
        #expect(try replay.get("/").text.contains("You are not logged in"))
        #expect(try replay.get("/logout").text.contains("You are not logged in"))
    }

    /// A log-in flood parks at most the hashes that may run and as many
    /// waiting: past them, log-in and sign-up get 503 with Retry-After at
    /// once, while the home page still answers.
    @Test(.timeLimit(.minutes(1))) func aFullPasswordQueueAnswers503AtOnce() async throws {
        let test = try await appWithAnn()
        let passwords = test.app.passwords
        let release = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let slots = 2 * max(2, ProcessInfo.processInfo.activeProcessorCount)  // running + waiting
        for _ in 0..<slots {
            DispatchQueue.global().async(group: group) { _ = try? passwords.withPermit { release.wait() } }
        }
        #expect(eventually { passwords.waitingOrRunning == slots })
        var browser = test.browser()
        let login = try browser.login("ann", "correct horse")
        #expect(login.status == .serviceUnavailable)
        #expect(login.headers["Retry-After"] == "5")
        #expect(login.text.contains("Taskr is busy right now"))
        var other = test.browser()
        #expect(try other.signup("bob", "correct horse").status == .serviceUnavailable)
        #expect(try other.get("/").status == .ok)
        #expect(try test.count("users") == 1)
        for _ in 0..<slots { release.signal() }
        group.wait()
        #expect(try browser.login("ann", "correct horse").status == .seeOther)
    }
}
