import Foundation
import HTTP
import Testing
@testable import TaskrCore

@Suite("Log-in throttling")
struct ThrottleTests {
    /// Statuses of `attempts` wrong log-ins for `username`, each from a fresh browser.
    private func failures(_ test: TestApp, _ username: String, _ attempts: Int) throws -> [Int] {
        try (0..<attempts).map { _ in
            var browser = test.browser()
            return try browser.login(username, "wrong password").status.code
        }
    }

    @Test func repeatedFailuresGet429AndTheSameForUnknownUsers() async throws {
        let test = try await TestApp()
        var owner = test.browser()
        try owner.signup("ann", "correct horse")
        let existing = try failures(test, "ann", 7)
        let unknown = try failures(test, "nobody", 7)
        #expect(existing == [401, 401, 401, 401, 401, 429, 429])
        #expect(unknown == existing)
    }

    @Test func lockedUsernameIsRefusedEvenWithTheRightPasswordThenRecovers() async throws {
        let test = try await TestApp()
        var owner = test.browser()
        try owner.signup("ann", "correct horse")
        _ = try failures(test, "ann", 5)
        var browser = test.browser()
        let locked = try browser.login("ann", "correct horse")
        #expect(locked.status == .tooManyRequests)
        #expect(locked.headers["Retry-After"] == "30")
        #expect(locked.text.contains("Too many failed log-ins"))
        test.clock.advance(by: 30)
        #expect(try browser.login("ann", "correct horse").status == .seeOther)
        // Success clears the count.
        #expect(try failures(test, "ann", 5) == [401, 401, 401, 401, 401])
    }

    @Test func lockGrowsWithEveryFailureAfterTheFreeOnes() async throws {
        let test = try await TestApp()
        _ = try failures(test, "ann", 5)
        test.clock.advance(by: 30)
        #expect(try failures(test, "ann", 1) == [401])  // the 6th failure: locked for 60 s
        var browser = test.browser()
        #expect(try browser.login("ann", "x").headers["Retry-After"] == "60")
    }

    @Test func failuresOutsideTheWindowAreForgotten() async throws {
        let test = try await TestApp()
        _ = try failures(test, "ann", 4)
        test.clock.advance(by: 16 * 60)
        #expect(try failures(test, "ann", 5) == [401, 401, 401, 401, 401])
    }
}
