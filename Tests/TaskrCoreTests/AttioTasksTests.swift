import Dispatch
import Foundation
import HTTP
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

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

    @Test func oneUsersTimeoutDoesNotStopTheNextUsersTasks() async throws {
        let test = try await TestApp()
        var (ann, bob) = try (connectedUser(test, "ann"), connectedUser(test, "bob"))
        test.attio.fail("/v2/tasks", with: .timeout)
        #expect(try ann.get("/").text.contains("Attio is not answering properly"))
        test.attio.fail("/v2/tasks", with: nil)
        #expect(try bob.get("/").text.contains("Send invoice"), "one call without an answer is no evidence")
    }

    @Test func afterThreeUsersCallsGotNoAnswerNobodyCallsAttioForTenSecondsThenOneProbe() async throws {
        let test = try await TestApp()
        var dan = try loggedIn(test, "dan")
        try connect(&dan)
        let before = test.attio.requests(to: "/v2/tasks").count
        try openTheBreaker(test)
        let calls = test.attio.requests(to: "/v2/tasks").count
        #expect(calls == before + 3)
        #expect(try dan.get("/").text.contains("Attio is slow to answer right now"))
        #expect(test.attio.requests(to: "/v2/tasks").count == calls, "no call while the breaker is open")
        test.clock.advance(by: 9.9)
        #expect(try dan.get("/").text.contains("Attio is slow to answer right now"))
        #expect(test.attio.requests(to: "/v2/tasks").count == calls, "still open just before 10 s")
        test.clock.advance(by: 0.1)
        #expect(try dan.get("/").text.contains("Send invoice"), "the probe got an answer")
        #expect(test.attio.requests(to: "/v2/tasks").count == calls + 1)
    }

    @Test func oneUsersRepeatedTimeoutsDoNotOpenTheBreaker() async throws {
        let test = try await TestApp()
        var (ann, bob) = try (connectedUser(test, "ann"), connectedUser(test, "bob"))
        test.attio.fail("/v2/tasks", with: .timeout)
        for _ in 0..<4 {
            try ann.get("/")
            test.clock.advance(by: 11)  // past any cache of ann's
        }
        test.attio.fail("/v2/tasks", with: nil)
        #expect(try bob.get("/").text.contains("Send invoice"), "four silent calls, all ann's: no evidence against Attio")
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

/// A user logged in and connected to the fake Attio.
private func connectedUser(_ test: TestApp, _ name: String) throws -> Browser {
    var browser = try loggedIn(test, name)
    try connect(&browser)
    return browser
}
