import Foundation
import HTTP
import Testing

@testable import TaskrCore

@Suite("No secrets in logs")
struct SecretsInLogsTests {
    @Test func passwordsSessionIdsTokensAndHashesNeverReachTheLog() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let password = "Tr0ub4dor&3-secret"
        try browser.signup("ann", password)
        let signupCookie = try #require(browser.sessionCookie)
        let csrf = try #require(Browser.csrf(in: try browser.get("/")))
        try browser.logout()
        try browser.login("ann", "wrong-\(password)")
        try browser.login("ann", password)
        let loginCookie = try #require(browser.sessionCookie)
        let hash = try #require(try test.database.texts("SELECT password_hash FROM users").first)

        let log = test.logs.text
        #expect(log.contains("signed up user 1") && log.contains("logged in user 1") && log.contains("failed log-in"))
        for secret in [password, signupCookie, loginCookie, csrf, hash, String(hash.suffix(20))] {
            #expect(!log.contains(secret))
        }
    }
}
