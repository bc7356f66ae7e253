import Dispatch
import Foundation
import HTTP
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

/// Two users' code exchanges hang in Attio's token endpoint until
/// `release` is signalled twice, filling the test application's two slots
/// (pages no longer call Attio: only what a person asked for takes a slot).
/// - Returns: the group the two parked requests leave when they finish.
func fillTheAttioGate(_ test: TestApp, release: DispatchSemaphore, names: [String] = ["bob", "cyd"]) throws -> DispatchGroup {
    let browsers = try names.map { try loggedIn(test, $0) }
    test.attio.fail("/oauth/token", with: .hang(release))
    let parked = DispatchGroup()
    for browser in browsers {
        parked.enter()
        Thread {
            var visitor = browser
            _ = try? connect(&visitor, refreshing: false)
            parked.leave()
        }.start()
    }
    #expect(eventually { test.attio.requests(to: "/oauth/token").count == 2 })
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
        let (attio, gate) = (test.attio, test.app.attioGate)
        // One parked call finishes once the exchange is seen waiting for a slot.
        Thread {
            _ = eventually { gate.callsWaitingForASlot == 1 }
            attio.fail("/oauth/token", with: nil)
            release.signal()
        }.start()
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
        #expect(try test.count("attio_connections") == 0)
        test.attio.fail("/oauth/token", with: nil)
        release.signal()
        release.signal()
        parked.wait()
        #expect(try test.count("attio_connections") == 2)
        #expect(try connect(&ann).status == .seeOther, "once the gate is free, it works")
    }

    /// SPEC "Under load": one user's call that got no answer never refuses
    /// another user's, and a callback's single-use code is tried.
    @Test func oneUsersTimeoutNeverRefusesAnotherUsersCodeExchange() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        letCopiesGoStale(test)
        test.attio.fail("/v2/tasks", with: .timeout)
        try ann.get("/")
        try test.app.refresher.refreshDue()
        test.attio.fail("/v2/tasks", with: nil)
        var bob = try loggedIn(test, "bob")
        let exchanges = test.attio.requests(to: "/oauth/token").count
        #expect(try connect(&bob).status == .seeOther)
        #expect(test.attio.requests(to: "/oauth/token").count == exchanges + 1)
    }

    /// The refresher's calls are evidence too: while the breaker is open no
    /// refresh calls Attio (the page keeps its copy and says why), and after
    /// the quiet period one probe goes through.
    @Test func whileTheBreakerIsOpenRefreshesWaitThenOneProbes() async throws {
        let test = try await TestApp()
        var dan = try loggedIn(test, "dan")
        try connect(&dan)
        try openTheBreaker(test)
        let calls = test.attio.requests.count
        try dan.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(test.attio.requests.count == calls, "no call while the breaker is open")
        let quiet = try dan.get("/").text
        #expect(quiet.contains("Attio is slow to answer right now") && quiet.contains("No deadline"))
        test.clock.advance(by: AttioGate.pauseAfterNoAnswer)
        try dan.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(test.attio.requests(to: "/v2/tasks").count == 5, "the probe got an answer: four first copies and dan's refresh")
        #expect(!(try dan.get("/").text.contains("slow to answer")))
    }

    @Test func oneUsersRepeatedTimeoutsDoNotOpenTheBreaker() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try connect(&bob)
        test.attio.fail("/v2/tasks", with: .timeout)
        for _ in 0..<4 {
            test.clock.advance(by: 60)  // past the freshness and ann's back-off
            try ann.get("/")
            #expect(try test.app.refresher.refreshDue() == 1)
        }
        test.attio.fail("/v2/tasks", with: nil)
        try bob.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(!(try bob.get("/").text.contains("may be out of date")), "four silent calls, all ann's: no evidence against Attio")
    }

    @Test func whileTheBreakerIsOpenTheTokenExchangeIsNotTried() async throws {
        let test = try await TestApp()
        try openTheBreaker(test)
        var eve = try loggedIn(test, "eve")
        let exchanges = test.attio.requests(to: "/oauth/token").count
        #expect(try connect(&eve).status == .serviceUnavailable)
        #expect(test.attio.requests(to: "/oauth/token").count == exchanges)
        test.clock.advance(by: 10)
        #expect(try connect(&eve).status == .seeOther, "the probe: Attio answers, the breaker closes")
    }

    @Test func revocationWhileTheBreakerIsOpenIsNotTriedButTheTokenIsForgotten() async throws {
        let test = try await TestApp()
        var ann = try openTheBreaker(test)[0]
        let home = try ann.get("/")
        try ann.post("/integrations/attio/disconnect", [("_csrf", Browser.csrf(in: home) ?? "")])
        #expect(test.attio.requests(to: "/oauth/revoke").isEmpty)
        #expect(try test.count("attio_connections WHERE user_id = 1") == 0)
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
            try? database.execute("DELETE FROM users")
        }
        let response = try connect(&ann)
        #expect(response.status == .internalServerError)
        #expect(try test.count("attio_connections") == 0)
        let revoked = test.attio.requests(to: "/oauth/revoke").map { String(decoding: $0.body ?? Data(), as: UTF8.self) }
        #expect(revoked.count == 1 && revoked[0].contains("token=\(test.attio.lastIssuedToken)"))
    }
}

/// Three connected users whose refreshes each got no answer: the evidence
/// that opens the breaker. Attio answers again afterwards (the fake's
/// failure is cleared); returns the three browsers.
@discardableResult
func openTheBreaker(_ test: TestApp, names: [String] = ["ann", "bob", "cyd"]) throws -> [Browser] {
    var browsers: [Browser] = []
    for name in names {
        var browser = try loggedIn(test, name)
        try connect(&browser)
        browsers.append(browser)
    }
    letCopiesGoStale(test)
    test.attio.fail("/v2/self", with: .timeout)
    for index in browsers.indices { try browsers[index].get("/") }
    #expect(try test.app.refresher.refreshDue() == names.count)
    test.attio.fail("/v2/self", with: nil)
    return browsers
}
