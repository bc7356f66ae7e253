import Dispatch
import Foundation
import HTTP
import Logging
import Sodium
import Testing

@testable import TaskrCore

/// SPEC "Under load": a request refused for capacity never counts as a
/// failed log-in, and a stranger's failures on a shared address do not lock
/// out a name that logged in from it before.
@Suite("Log-in throttling: capacity and shared addresses")
struct CapacityRefusalTests {
    /// A credential check on `test`'s stores whose password queue takes one
    /// hash and no waiter, so a held permit makes the next check 503.
    private func credentials(_ test: TestApp, _ passwords: PasswordService) -> CredentialCheck {
        let stores = test.database.stores
        return CredentialCheck(
            users: stores.users, passwords: passwords, throttle: LoginThrottle(store: stores.loginThrottle),
            pacer: LoginPacer(maximumWaiting: 1), clock: test.clock,
            securityLog: SecurityLog(logger: test.logs.logger, digestKey: SecretKey.generate()))
    }

    /// Holds the one permit of `passwords` until `release` is signalled.
    private func holdPermit(_ passwords: PasswordService, release: DispatchSemaphore) {
        let held = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = try? passwords.withPermit {
                held.signal()
                release.wait()
            }
        }
        held.wait()
    }

    @Test(arguments: StoreEngine.available) func refusalsForCapacityAreNeverCountedAsFailures(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var owner = test.browser(address: "198.51.100.7")
        try owner.signup("ann", "correct horse")
        let passwords = PasswordService(concurrentHashes: 1, maximumWaiting: 0, permitWait: .milliseconds(10))
        let check = credentials(test, passwords)
        let request = try Request(method: .post, target: "/login", remoteAddress: "198.51.100.7")
        let release = DispatchSemaphore(value: 0)
        holdPermit(passwords, release: release)
        // Twice the pair's free failures, all refused for capacity.
        for _ in 0..<(2 * LoginThrottle.pairFreeFailures) {
            #expect(throws: PasswordQueueFull.self) {
                try check.check(usernameKey: "ann", password: "correct horse", request: request, step: "log-in")
            }
        }
        release.signal()
        #expect(try test.database.integers("SELECT max(failures) FROM login_throttle WHERE failures >= 0").first == 0)
        // The right password once a slot is free: verified, never 429.
        let outcome = try check.check(usernameKey: "ann", password: "correct horse", request: request, step: "log-in")
        #expect(outcome == .verified(try #require(try test.database.stores.users.user(usernameKey: "ann"))))
        #expect(test.logs.text.contains("security: log-in refused for capacity"))
        #expect(!test.logs.text.contains("security: failed log-in"))
    }

    @Test(arguments: StoreEngine.available) func aTrustedNamePassesTheAddressWideLock(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        let shared = "203.0.113.50"  // one NAT, many people
        var owner = test.browser(address: shared)
        try owner.signup("ann", "correct horse")
        try owner.logout()
        var again = test.browser(address: shared)
        #expect(try again.login("ann", "correct horse").status == .seeOther)  // ann is trusted from here now
        let stranger = try (0..<LoginThrottle.addressFreeFailures).map { index in
            var browser = test.browser(address: shared)
            return try browser.login("guess\(index)", "wrong password").status.code
        }
        #expect(stranger == Array(repeating: 401, count: LoginThrottle.addressFreeFailures))
        var otherName = test.browser(address: shared)
        #expect(try otherName.login("bob", "wrong password").status == .tooManyRequests, "the address is locked")
        var annAgain = test.browser(address: shared)
        #expect(try annAgain.login("ann", "correct horse").status == .seeOther, "ann's own pair is not")
    }
}
