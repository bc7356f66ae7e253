import Dispatch
import Foundation
import HTTP
import Sodium
import Testing

@testable import TaskrCore

@Suite("Attio: tasks from Taskr's copy")
struct AttioTasksTests {
    @Test(arguments: StoreEngine.available)
    func showsEveryTaskEscapedWithDeadlineCompletionAndAssignees(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        try connect(&browser)
        let html = try browser.get("/?show=all").text
        expectEscaped(html, [(#"Call <b>Bob</b> & "friends""#, "Call &lt;b&gt;Bob&lt;/b&gt; &amp; &quot;friends&quot;")])
        #expect(html.contains("due 2026-12-01 15:30 UTC"))
        #expect(html.contains("due 2026-12-24"))
        #expect(html.contains("for Ada Lovelace"))
        #expect(html.contains("for grace@example.com, Unknown member"))
        #expect(html.contains(#"<li class="done"><span class="text">Send invoice</span> <span class="badge">done</span>"#))
        #expect(html.components(separatedBy: "</li>").count - 1 == 3)
        #expect(html.contains("Updated just now."))
        #expect(html.contains("Your Attio tasks in Acme &lt;Corp&gt;"))
        #expect(html.contains(#"action="/integrations/attio/disconnect""#))
        let call = try #require(test.attio.requests(to: "/v2/tasks").last)
        #expect(call.url.query == "limit=500&offset=0")
        #expect(call.headers["Authorization"] == "Bearer \(test.attio.lastIssuedToken)")
    }

    @Test func openTasksComeFirstByDeadlineNoneLastAndDoneOnesNewestFirst() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let open = try browser.get("/").text
        #expect(!open.contains("Send invoice"), "open tasks only, by default")
        let first = try #require(open.range(of: "Call &lt;b&gt;Bob"))
        let last = try #require(open.range(of: "No deadline"))
        #expect(first.lowerBound < last.lowerBound)
        let done = try browser.get("/?show=done").text
        #expect(done.contains("Send invoice") && !done.contains("No deadline"))
        test.attio.setTasks(count: 9)  // done: t-3, t-6, t-9, created in that order
        letCopiesGoStale(test)
        try browser.get("/")
        try test.app.refresher.refreshDue()
        let newest = try browser.get("/?show=done").text
        let order = ["Task number 9<", "Task number 6<", "Task number 3<"].compactMap { newest.range(of: $0)?.lowerBound }
        #expect(order.count == 3 && order == order.sorted())
    }

    /// The page reads the copy alone; a copy older than 30 s falls due once
    /// (one write, however many pages) and the refresher renews it.
    @Test(arguments: StoreEngine.available) func pagesNeverCallAttioAndAStaleCopyFallsDueOnce(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        try connect(&browser)
        let calls = test.attio.requests.count
        for _ in 0..<3 { #expect(try browser.get("/").text.contains("No deadline")) }
        test.clock.advance(by: TaskRefresher.freshness - 1)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 0, "fresh for 30 s")
        #expect(test.attio.requests.count == calls, "no page called Attio")
        test.clock.advance(by: 1)
        let wanted = try test.integers("SELECT wanted FROM task_copies")
        for _ in 0..<3 { #expect(try browser.get("/").text.contains("Updated 30 seconds ago.")) }
        #expect(try test.integers("SELECT wanted FROM task_copies") == wanted.map { $0 + 1 }, "due once, not on every page")
        #expect(test.attio.requests.count == calls)
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(try test.app.refresher.refreshDue() == 0, "once per falling due")
        #expect(test.attio.requests(to: "/v2/tasks").count == 2)
        #expect(try browser.get("/").text.contains("Updated just now."))
    }

    /// The copy's age changes by the second; the rest of the page does not:
    /// byte for byte the same page around a new age (the page is kept
    /// split where the age goes, and no stand-in for it is ever shown).
    @Test func theAgeChangesByTheSecondAndNothingElseOnThePage() async throws {
        let test = try await TestApp(engine: .sqlite)
        var browser = try loggedIn(test)
        try connect(&browser)
        let first = try browser.get("/").body
        test.clock.advance(by: 12)
        let later = try browser.get("/").body
        test.clock.advance(by: 1)
        let latest = try browser.get("/").body
        let now = Array("Updated just now.".utf8)
        let twelve = Array("Updated 12 seconds ago.".utf8)
        let thirteen = Array("Updated 13 seconds ago.".utf8)
        #expect(first.firstRange(of: now) != nil)
        #expect(later.firstRange(of: twelve) != nil)
        #expect(latest.firstRange(of: thirteen) != nil)
        func without(_ page: [UInt8], _ age: [UInt8]) throws -> [UInt8] {
            let range = try #require(page.firstRange(of: age))
            return Array(page[..<range.lowerBound] + page[range.upperBound...])
        }
        #expect(try without(first, now) == without(later, twelve))
        #expect(try without(later, twelve) == without(latest, thirteen))
        #expect(first.firstRange(of: Array("age-".utf8)) == nil, "no stand-in for the age left on the page")
    }

    @Test(arguments: StoreEngine.available) func everyTaskIsCopiedPageByPageAndShownFiftyAtATime(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        test.attio.setTasks(count: 1200)
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(test.attio.requests(to: "/v2/tasks").map(\.url.query) == ["limit=500&offset=0", "limit=500&offset=500", "limit=500&offset=1000"])
        let first = try browser.get("/").text
        #expect(first.components(separatedBy: "</li>").count - 1 == 50)
        #expect(first.contains("1–50 of 800 open tasks"))
        #expect(first.contains(#"<a href="/?page=2" rel="next">"#) && !first.contains(#"rel="prev""#))
        #expect(first.contains("page 1 of 16"))
        let last = try browser.get("/?page=16").text
        #expect(last.contains("751–800 of 800 open tasks") && last.contains(#"<a href="/?page=15" rel="prev">"#) && !last.contains(#"rel="next""#))
        #expect(try browser.get("/?page=17").text.contains("There is no page 17; the last is page 16."))
        let all = try browser.get("/?show=all&page=24").text
        #expect(all.contains("1151–1200 of 1200 tasks"))
        #expect(all.contains(">Task number 3</span>"), "the oldest done task, last of all")
        #expect(all.contains(#"href="/?show=all&amp;page=23""#))
    }

    @Test func aWorkspaceBeyondTheCapIsCutAndSaysSo() async throws {
        let test = try await TestApp()
        test.attio.setTasks(count: TaskCopy.maximumTasks + 1)
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(test.attio.requests(to: "/v2/tasks").count == TaskCopy.maximumTasks / TaskRefresher.pageSize)
        let html = try browser.get("/?show=all").text
        #expect(html.contains("Taskr keeps the first 5000 tasks of this workspace"))
        #expect(html.contains("of 5000 tasks"))
    }

    @Test func mineAreTheTasksOfTheMemberWhoConnected() async throws {
        let test = try await TestApp()
        test.attio.setTasks(count: 10)  // m-1 has t-2, t-4, …, t-10; m-1 connected
        var browser = try loggedIn(test)
        try connect(&browser)
        let mine = try browser.get("/?show=all&assignee=me").text
        #expect(mine.components(separatedBy: "</li>").count - 1 == 5)
        #expect(!mine.contains(">Task number 1<") && mine.contains(">Task number 2<"))
        #expect(mine.contains("<strong>Mine</strong>") && mine.contains(#"<a href="/?show=all">Anyone&#39;s</a>"#))
        test.attio.setSelf(#"{"active":true,"workspace_id":"ws-1","workspace_name":"Acme"}"#)
        letCopiesGoStale(test)
        try browser.get("/")
        try test.app.refresher.refreshDue()
        #expect(try browser.get("/?assignee=me").text.contains("Attio did not say which member connected Taskr"))
    }

    @Test(arguments: ["show=later", "assignee=you", "page=0", "page=-1", "page=abc", "page=1.5", "page=+2", "page=%202", "page=9999999999"])
    func unknownFiltersAndBadPagesAre400(_ query: String) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let response = try browser.get("/?\(query)")
        #expect(response.status == .badRequest)
        #expect(response.text.contains("must be"))
    }

    @Test func beforeTheFirstCopyThePageSaysFetchingAndReloadsItself() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser, refreshing: false)
        let waiting = try browser.get("/").text
        #expect(waiting.contains("Fetching your tasks from Attio"))
        #expect(waiting.contains(#"<meta http-equiv="refresh" content="2">"#))
        #expect(test.attio.requests(to: "/v2/tasks").isEmpty)
        #expect(try test.app.refresher.refreshDue() == 1)
        let shown = try browser.get("/").text
        #expect(shown.contains("No deadline") && !shown.contains("http-equiv"))
    }

    @Test(arguments: [FakeAttio.Failure.status(500), .status(503), .timeout, .malformedJSON])
    func aFailedRefreshKeepsTheLastCopyWithTheReasonAndTheToken(_ failure: FakeAttio.Failure) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        letCopiesGoStale(test)
        test.attio.fail("/v2/tasks", with: failure)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        let html = try browser.get("/").text
        #expect(html.contains("No deadline"), "the last copy stays")
        #expect(html.contains("so this list may be out of date"))
        #expect(html.contains("Updated 30 seconds ago."))
        #expect(html.contains("Disconnect Attio"))
        #expect(try test.count("attio_connections") == 1)
        test.attio.fail("/v2/tasks", with: nil)
        test.clock.advance(by: TaskRefresher.backOff(0))
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(!(try browser.get("/").text.contains("may be out of date")), "a good refresh clears the reason")
    }

    @Test func noAnswerBacksOffDoublingWhileThePageIsViewed() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail("/v2/tasks", with: .timeout)
        for wait in [TaskRefresher.backOff(0), TaskRefresher.backOff(1)] {
            letCopiesGoStale(test)
            try browser.get("/")
            #expect(try test.app.refresher.refreshDue() == 1)
            test.clock.advance(by: wait - 1)
            try browser.get("/")
            #expect(try test.app.refresher.refreshDue() == 0, "backing off \(wait) s")
            test.clock.advance(by: 1)
        }
        #expect(TaskRefresher.backOff(0) == 5 && TaskRefresher.backOff(1) == 10 && TaskRefresher.backOff(20) == 300)
    }

    @Test(arguments: StoreEngine.available) func unauthorizedDropsTheTokenAndTheCopyAndOffersConnectAgain(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        try connect(&browser)
        letCopiesGoStale(test)
        test.attio.fail(
            "/v2/tasks", with: .status(401, body: #"{"status_code":401,"type":"auth_error","code":"unauthorized","message":"Token revoked"}"#))
        try browser.get("/")
        try test.app.refresher.refreshDue()
        #expect(try test.count("attio_connections") == 0)
        #expect(try test.count("task_copies") == 0)
        let response = try browser.get("/")
        #expect(response.status == .ok)
        #expect(response.text.contains(#"href="/integrations/attio/connect""#))
        #expect(!response.text.contains("No deadline"))
    }

    @Test func aRateLimitPausesRefreshesUntilRetryAfterAndKeepsTheCopy() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        letCopiesGoStale(test)
        test.attio.fail(
            "/v2/tasks",
            with: .status(
                429, headers: ["retry-after": "30"],
                body: #"{"status_code":429,"type":"rate_limit_error","code":"rate_limit_exceeded","message":"slow down"}"#))
        try browser.get("/")
        try test.app.refresher.refreshDue()
        let paused = try browser.get("/").text
        #expect(paused.contains("Attio asked Taskr to slow down") && paused.contains("No deadline"))
        test.attio.fail("/v2/tasks", with: nil)
        test.clock.advance(by: 29)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 0, "paused until Retry-After")
        #expect(test.attio.requests(to: "/v2/tasks").count == 2)
        test.clock.advance(by: 1)
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(!(try browser.get("/").text.contains("slow down")))
        #expect(try test.count("attio_connections") == 1)
    }

    @Test func membersFailingStillCopiesTheTasks() async throws {
        let test = try await TestApp()
        test.attio.fail("/v2/workspace_members", with: .timeout)
        var browser = try loggedIn(test)
        try connect(&browser)
        let html = try browser.get("/?show=all").text
        #expect(html.contains("Send invoice"))
        #expect(html.contains("for Unknown member"))
    }

    @Test func anEmptyWorkspaceSaysSo() async throws {
        let test = try await TestApp()
        test.attio.setTasks(#"{"data":[]}"#)
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(try browser.get("/").text.contains("No open tasks in this workspace."))
        #expect(try browser.get("/?show=all").text.contains("No tasks in this workspace yet."))
    }

    /// Customer data: the copy is sealed; no task text in the file, its WAL or the log.
    @Test func theCopyIsSealedAtRest() async throws {
        let test = try await TestApp()
        test.attio.setTasks(count: 3)
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(try browser.get("/?show=all").text.contains("Task number 2"))
        let bytes = try test.databaseBytes()
        #expect(bytes.range(of: Data("Task number".utf8)) == nil)
        #expect(!test.logs.text.contains("Task number"))
        let sealed = try #require(try test.database.blobs("SELECT sealed_copy FROM task_copies").first)
        let other = TokenSealer(current: test.secretKey, previous: [])
        #expect(other.open(TokenSealer.Sealed(keyID: test.secretKey.id, bytes: sealed), userID: 2, for: .taskCopy) == nil, "bound to its user")
        #expect(other.open(TokenSealer.Sealed(keyID: test.secretKey.id, bytes: sealed), userID: 1) == nil, "not a token")
        #expect(other.open(TokenSealer.Sealed(keyID: test.secretKey.id, bytes: sealed), userID: 1, for: .taskCopy) != nil)
    }

    @Test(arguments: StoreEngine.available) func disconnectingAndDeletingTheAccountDropTheCopy(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try connect(&bob)
        #expect(try test.count("task_copies") == 2)
        try ann.post("/integrations/attio/disconnect", [], csrfFrom: "/")
        #expect(try test.integers("SELECT user_id FROM task_copies") == [2])
        try bob.post("/account/delete", [("password", "correct horse")], csrfFrom: "/account")
        #expect(try test.count("task_copies") == 0)
    }

    /// With the refresher running (as in `taskr serve`), the callback waits
    /// for the first copy, so the person lands on their tasks.
    @Test(.timeLimit(.minutes(1))) func theCallbackLandsOnTheTasks() async throws {
        let test = try await TestApp()
        test.app.startRefreshing(threads: 1)
        defer { test.app.stopRefreshing(waiting: 5) }
        var browser = try loggedIn(test)
        #expect(try connect(&browser, refreshing: false).status == .seeOther)
        #expect(try browser.get("/").text.contains("No deadline"))
    }

    /// SIGTERM stops the refresher between Attio's pages: the refresh gives
    /// its lease back and writes nothing (no half-written copy); the last
    /// copy stays as it was, and the next holder may take it at once.
    @Test(.timeLimit(.minutes(1))) func aRefreshStoppedBetweenPagesWritesNothingAndGivesItsLeaseBack() async throws {
        let test = try await TestApp()
        test.attio.setTasks(count: 600)
        var browser = try loggedIn(test)
        try connect(&browser)
        let version = try test.integers("SELECT version FROM task_copies")
        letCopiesGoStale(test)
        try browser.get("/")
        let release = DispatchSemaphore(value: 0)
        test.attio.fail("/v2/tasks", with: .hang(release))
        test.app.startRefreshing(threads: 1)
        #expect(eventually { test.attio.requests(to: "/v2/tasks").count == 3 }, "two pages for the first copy, then the hung one")
        #expect(test.app.stopRefreshing(waiting: 0.2) == false, "a refresh waiting on Attio is not cut off mid-call")
        test.attio.fail("/v2/tasks", with: nil)
        release.signal()
        #expect(test.app.stopRefreshing(waiting: 10))
        #expect(test.attio.requests(to: "/v2/tasks").count == 3, "no page asked for after the stop")
        #expect(try test.integers("SELECT version FROM task_copies") == version, "the copy is as it was")
        #expect(try test.database.rows("SELECT lease_holder FROM task_copies") == [[.null]], "the lease given back")
        #expect(try browser.get("/").text.contains("Task number 1<"))
    }

    @Test(arguments: [
        ("2023-01-01T15:00:00.000000000Z", "2023-01-01 15:00 UTC"),
        ("2023-01-01", "2023-01-01"),
        ("soon", "soon"),
    ])
    func deadlinesAreFormatted(_ raw: String, _ shown: String) {
        #expect(TaskCopy.Task.formatDeadline(raw) == shown)
    }

    @Test(arguments: [(0.0, "just now"), (12, "12 seconds ago"), (61, "1 minute ago"), (7300, "2 hours ago"), (200_000, "2 days ago")])
    func agesAreWords(_ seconds: TimeInterval, _ words: String) {
        #expect(TaskBoard.age(seconds) == words)
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

extension TestApp {
    func integers(_ sql: String) throws -> [Int64] { try database.integers(sql) }
}
