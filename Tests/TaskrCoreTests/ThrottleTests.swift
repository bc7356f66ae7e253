import Dispatch
import Foundation
import HTTP
import Synchronization
import Testing

@testable import TaskrCore

@Suite("Log-in throttling")
struct ThrottleTests {
    /// Statuses of `attempts` wrong log-ins for `username`, each from a fresh browser at `address`.
    private func failures(_ test: TestApp, _ username: String, _ attempts: Int, from address: String? = nil) throws -> [Int] {
        try (0..<attempts).map { _ in
            var browser = test.browser(address: address)
            return try browser.login(username, "wrong password").status.code
        }
    }

    @Test(arguments: StoreEngine.available) func repeatedFailuresGet429AndTheSameForUnknownUsers(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var owner = test.browser()
        try owner.signup("ann", "correct horse")
        let existing = try failures(test, "ann", 7)
        let unknown = try failures(test, "nobody", 7)
        #expect(existing == [401, 401, 401, 401, 401, 429, 429])
        #expect(unknown == existing)
    }

    @Test(arguments: StoreEngine.available) func lockedPairIsRefusedEvenWithTheRightPasswordThenRecovers(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var owner = test.browser()
        try owner.signup("ann", "correct horse")
        _ = try failures(test, "ann", 5, from: "192.0.2.7")
        var browser = test.browser(address: "192.0.2.7")
        let locked = try browser.login("ann", "correct horse")
        #expect(locked.status == .tooManyRequests)
        #expect(locked.headers["Retry-After"] == "30")
        #expect(locked.text.contains("Too many failed log-ins"))
        test.clock.advance(by: 29)
        #expect(try browser.login("ann", "correct horse").status == .tooManyRequests)
        test.clock.advance(by: 1)
        #expect(try browser.login("ann", "correct horse").status == .seeOther)
        // Success clears the pair's count.
        #expect(try failures(test, "ann", 5, from: "192.0.2.7") == [401, 401, 401, 401, 401])
    }

    /// A stranger cannot lock the owner out: the pair and the address are
    /// locked, not the account.
    @Test(arguments: StoreEngine.available) func failuresFromOneAddressDoNotStopTheRightPasswordFromAnother(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var owner = test.browser()
        try owner.signup("ann", "correct horse")
        #expect(try failures(test, "ann", 12, from: "203.0.113.66").suffix(2) == [429, 429])
        var fromHome = test.browser(address: "198.51.100.20")
        #expect(try fromHome.login("ann", "correct horse").status == .seeOther)
        // Even a wrong try from the clean address is a 401, not a 429.
        var again = test.browser(address: "198.51.100.20")
        #expect(try again.login("ann", "wrong password").status == .unauthorized)
    }

    @Test(arguments: StoreEngine.available) func lockGrowsWithEveryFailureAfterTheFreeOnes(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        _ = try failures(test, "ann", 5)
        test.clock.advance(by: 30)
        #expect(try failures(test, "ann", 1) == [401])  // the 6th failure: locked for 60 s
        var browser = test.browser()
        #expect(try browser.login("ann", "x").headers["Retry-After"] == "60")
        // …up to 15 minutes, however many more.
        for _ in 0..<8 {
            test.clock.advance(by: 15 * 60)
            #expect(try failures(test, "ann", 1) == [401])
        }
        #expect(try browser.login("ann", "x").headers["Retry-After"] == "900")
    }

    @Test(arguments: StoreEngine.available) func failuresOutsideTheWindowAreForgotten(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        _ = try failures(test, "ann", 4)
        test.clock.advance(by: 16 * 60)
        #expect(try failures(test, "ann", 5) == [401, 401, 401, 401, 401])
    }

    @Test(arguments: StoreEngine.available) func anAddressIsLockedAfterTwentyFailuresWhateverTheNames(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        let statuses = try (0..<21).map { index in
            var browser = test.browser(address: "203.0.113.9")
            return try browser.login("name\(index)", "wrong password").status.code
        }
        #expect(statuses == Array(repeating: 401, count: 20) + [429])
        var other = test.browser(address: "203.0.113.10")
        #expect(try other.login("name21", "wrong password").status == .unauthorized)
    }

    /// An IPv6 host owns its /64: every address in it counts as one.
    @Test(arguments: StoreEngine.available) func ipv6ClientsCountByTheirSlash64(engine: StoreEngine) async throws {
        #expect(ClientAddress.throttleKey("2001:db8:1:2::1") == ClientAddress.throttleKey("2001:db8:1:2:ffff:abcd:1:2"))
        #expect(ClientAddress.throttleKey("2001:db8:1:2::1") != ClientAddress.throttleKey("2001:db8:1:3::1"))
        #expect(ClientAddress.throttleKey("::ffff:192.0.2.1") == ClientAddress.throttleKey("192.0.2.1"))
        let test = try await TestApp(engine: engine)
        let statuses = try (0..<6).map { index in
            var browser = test.browser(address: "2001:db8:1:2::\(index + 1)")
            return try browser.login("ann", "wrong password").status.code
        }
        #expect(statuses == [401, 401, 401, 401, 401, 429])
    }

    /// Many addresses guessing one name slow down (a delay before the
    /// password check), but none is refused.
    @Test(arguments: StoreEngine.available) func guessingFromManyAddressesAddsADelayNotARefusal(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        let throttle = LoginThrottle(store: test.database.stores.loginThrottle)
        let now = test.clock.now()
        var delays: [TimeInterval] = []
        for index in 0..<24 {
            guard case let .admitted(attempt) = try throttle.admit(usernameKey: "ann", address: "198.51.100.\(index)", now: now) else {
                Issue.record("attempt \(index) was refused")
                continue
            }
            delays.append(attempt.delay)
        }
        #expect(delays.prefix(20).allSatisfy { $0 == 0 })
        #expect(Array(delays.suffix(4)) == [0.5, 1, 2, 4])
        guard case let .admitted(last) = try throttle.admit(usernameKey: "ann", address: "198.51.100.200", now: now) else {
            Issue.record("refused")
            return
        }
        #expect(last.delay == LoginThrottle.maximumDelay)
    }

    /// The owner's usual network skips the name-wide delay; trust lasts 30
    /// days after the last log-in from there.
    @Test(arguments: StoreEngine.available) func anAddressTheOwnerLoggedInFromSkipsTheDelay(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var owner = test.browser()
        try owner.signup("ann", "correct horse")
        var home = test.browser(address: "198.51.100.7")
        #expect(try home.login("ann", "correct horse").status == .seeOther)
        let throttle = LoginThrottle(store: test.database.stores.loginThrottle)
        let now = test.clock.now()
        for index in 0..<25 {
            _ = try throttle.admit(usernameKey: "ann", address: "203.0.113.\(index)", now: now)
        }
        func delay(from address: String, at date: Date) throws -> TimeInterval? {
            guard case let .admitted(attempt) = try throttle.admit(usernameKey: "ann", address: address, now: date) else { return nil }
            return attempt.delay
        }
        #expect(try delay(from: "192.0.2.99", at: now) == LoginThrottle.maximumDelay, "a stranger waits")
        #expect(try delay(from: "198.51.100.7", at: now) == 0, "the owner's network does not")
        // Housekeeping keeps the trust for 30 days, then forgets it.
        try test.app.removeExpiredData()
        #expect(try test.count("login_throttle WHERE failures < 0") == 1)
        test.clock.advance(by: 31 * 24 * 3600)
        try test.app.removeExpiredData()
        #expect(try test.count("login_throttle") == 0)
    }

    @Test func waitingLogInsAreBounded() {
        let pacer = LoginPacer(maximumWaiting: 1)
        let results = Mutex<[Bool]>([])
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let waited = pacer.pause(2)
            results.withLock { $0.append(waited) }
        }
        // Waits for the first waiter itself, not for a while.
        #expect(eventually { pacer.waitingNow == 1 })
        #expect(pacer.pause(2) == false, "a second waiter is answered at once")
        group.wait()
        #expect(results.withLock { $0 } == [true])
        #expect(pacer.pause(0.01), "a free slot again")
    }

    /// Check and count are one transaction: when a lock ends, parallel
    /// attempts get one guess between them, not one each.
    @Test(.timeLimit(.minutes(1))) func parallelAttemptsAfterALockGetOneGuess() async throws {
        let test = try await TestApp()
        _ = try failures(test, "ann", 5)
        test.clock.advance(by: 30)
        var browsers = (0..<6).map { _ in test.browser() }
        let tokens = try browsers.indices.map { try Browser.csrf(in: browsers[$0].get("/login"))! }
        let statuses = Mutex<[Int]>([])
        let attempts = browsers
        DispatchQueue.concurrentPerform(iterations: attempts.count) { index in
            var browser = attempts[index]
            let status = (try? browser.post("/login", [("username", "ann"), ("password", "wrong"), ("_csrf", tokens[index])]).status.code) ?? 0
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0.sorted() } == [401, 429, 429, 429, 429, 429])
    }

    @Test func theTypedNameIsNeverStoredAndOverlongNamesTouchNothing() async throws {
        let test = try await TestApp()
        #expect(try failures(test, "typed-name-that-might-be-a-password", 1) == [401])
        #expect(try test.databaseBytes().range(of: Data("typed-name-that-might-be-a-password".utf8)) == nil)
        let rows = try test.count("login_throttle")
        #expect(rows == 3)  // the pair, the address and the name
        let overlong = String(repeating: "x", count: 65)
        #expect(try failures(test, overlong, 10) == Array(repeating: 401, count: 10))
        #expect(try test.count("login_throttle") == rows, "refused before the throttle")
        #expect(!test.logs.text.contains("typed-name-that-might-be-a-password"))
        #expect(test.logs.text.contains("security: failed log-in for name #"))
    }
}
