import Foundation
import HTTP
import Testing

@testable import TaskrCore

@Suite("Tasks: done, reopen, new task")
struct TaskActionsTests {
    @Test(arguments: StoreEngine.available) func doneAndReopenChangeAttioAndTheCopyAtOnce(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        try connect(&browser)
        let done = try browser.post("/tasks/complete", [("task_id", "t-1"), ("show", "all"), ("page", "1")], csrfFrom: "/")
        #expect(done.status == .seeOther && done.headers["Location"] == "/?show=all")
        let patch = try #require(test.attio.requests.last)
        #expect(patch.method == "PATCH" && patch.url.path == "/v2/tasks/t-1")
        #expect(try json(patch) as NSDictionary == ["data": ["is_completed": true]])
        let calls = test.attio.requests.count
        #expect(try browser.get("/?show=done").text.contains("Call &lt;b&gt;Bob"), "the copy changed at once")
        #expect(!(try browser.get("/").text.contains("Call &lt;b&gt;Bob")))
        #expect(test.attio.requests.count == calls, "shown without asking Attio")
        #expect(try test.app.refresher.refreshDue() == 1, "and due for a refresh that confirms it")
        #expect(try browser.post("/tasks/reopen", [("task_id", "t-1")], csrfFrom: "/").headers["Location"] == "/")
        #expect(try json(try #require(test.attio.requests.last)) as NSDictionary == ["data": ["is_completed": false]])
        #expect(try browser.get("/").text.contains("Call &lt;b&gt;Bob"))
    }

    @Test func aNewTaskGoesToAttioAndShowsAtOnce() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let response = try browser.post(
            "/tasks", [("content", "  Write the <report>  "), ("deadline", "2026-12-24"), ("assign_to_me", "1"), ("show", "all")],
            csrfFrom: "/")
        #expect(response.status == .seeOther && response.headers["Location"] == "/?show=all")
        let create = try #require(test.attio.requests(to: "/v2/tasks").last)
        #expect(create.method == "POST" && create.headers["Content-Type"] == "application/json")
        let expected: NSDictionary = [
            "data": [
                "content": "Write the <report>", "format": "plaintext", "deadline_at": "2026-12-24T23:59:59.000000000Z",
                "is_completed": false, "linked_records": [] as [Any],
                "assignees": [["referenced_actor_type": "workspace-member", "referenced_actor_id": "m-1"]],
            ]
        ]
        #expect(try json(create) as NSDictionary == expected)
        let html = try browser.get("/").text
        #expect(
            html.contains(
                "Write the &lt;report&gt;</span> <small>due 2026-12-24 23:59 UTC</small> <small>for Ada Lovelace"))
        let plain = try browser.post("/tasks", [("content", "No deadline either")], csrfFrom: "/")
        #expect(plain.status == .seeOther)
        let second = try json(try #require(test.attio.requests(to: "/v2/tasks").last))["data"] as? [String: Any]
        #expect(second?["deadline_at"] is NSNull && (second?["assignees"] as? [Any])?.isEmpty == true, "null, not left out")
    }

    @Test(arguments: [
        [("content", "")], [("content", "   ")], [("content", String(repeating: "x", count: 2001))],
        [("content", "a"), ("deadline", "2026-13-01")], [("content", "a"), ("deadline", "2026-02-30")],
        [("content", "a"), ("deadline", "24.12.2026")], [("content", "a"), ("assign_to_me", "yes")],
        [("content", "a"), ("show", "later")],
    ])
    func badFieldsAre400AndNothingIsSent(_ fields: [(String, String)]) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let calls = test.attio.requests.count
        let response = try browser.post("/tasks", fields, csrfFrom: "/")
        #expect(response.status == .badRequest)
        #expect(test.attio.requests.count == calls)
    }

    @Test func aContentOf2000CharactersIsTaken() throws {
        #expect(try NewTaskFields(Parameters([("content", String(repeating: "é", count: 2000))])).content.count == 2000)
        #expect(NewTaskFields.endOfDay("2028-02-29") == "2028-02-29T23:59:59.000000000Z")
        #expect(NewTaskFields.endOfDay("2027-02-29") == nil)
    }

    @Test func withoutASessionAConnectionOrTheTokenNothingIsSent() async throws {
        let test = try await TestApp()
        var stranger = test.browser()
        #expect(try stranger.post("/tasks", [("content", "x"), ("_csrf", "x")]).status == .forbidden)
        var browser = try loggedIn(test)
        #expect(try browser.post("/tasks", [("content", "x")], csrfFrom: "/").status == .conflict, "not connected")
        try connect(&browser)
        let calls = test.attio.requests.count
        #expect(try browser.post("/tasks/complete", [("task_id", "t-1"), ("_csrf", "forged")]).status == .forbidden)
        #expect(try browser.post("/tasks/complete", [("task_id", "t-999")], csrfFrom: "/").status == .notFound, "not in the copy")
        #expect(try browser.post("/tasks/complete", [], csrfFrom: "/").status == .badRequest)
        #expect(test.attio.requests.count == calls)
        try browser.logout()
        #expect(try browser.post("/tasks", [("content", "x")], csrfFrom: "/login").headers["Location"] == "/login")
    }

    @Test(arguments: [
        (
            FakeAttio.Failure.status(403, body: #"{"status_code":403,"type":"auth_error","code":"insufficient_scope","message":"no"}"#), 403,
            "task:read-write"
        ),
        (.status(429, headers: ["retry-after": "20"]), 429, "slow down"),
        (.status(500), 502, "Nothing was changed"),
        (.timeout, 502, "Nothing was changed"),
    ])
    func attioRefusingAChangeLeavesTheCopyAsItWas(_ failure: FakeAttio.Failure, _ status: Int, _ words: String) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let version = try test.integers("SELECT version FROM task_copies")
        test.attio.fail("PATCH /v2/tasks", with: failure)
        let response = try browser.post("/tasks/complete", [("task_id", "t-1")], csrfFrom: "/")
        #expect(response.status.code == status)
        #expect(response.text.contains(words))
        if status == 429 { #expect(response.headers["Retry-After"] == "20") }
        #expect(try test.integers("SELECT version FROM task_copies") == version, "the copy is as it was")
        #expect(try browser.get("/").text.contains("Call &lt;b&gt;Bob"))
    }

    @Test func aCreateWithoutAnAnswerMayHaveHappenedAndTheNextSyncTells() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail("POST /v2/tasks", with: .timeout)
        let response = try browser.post("/tasks", [("content", "Maybe")], csrfFrom: "/")
        #expect(response.status == .badGateway)
        #expect(response.text.contains("may or may not have been created"))
        #expect(try test.app.refresher.refreshDue() == 1, "the copy fell due: the refresh shows whether it was")
    }

    @Test func aTaskDeletedInAttioMeanwhileLeavesTheCopy() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail(
            "PATCH /v2/tasks",
            with: .status(404, body: #"{"status_code":404,"type":"invalid_request_error","code":"not_found","message":"gone"}"#))
        let response = try browser.post("/tasks/complete", [("task_id", "t-3")], csrfFrom: "/")
        #expect(response.status == .notFound && response.text.contains("deleted in Attio"))
        #expect(!(try browser.get("/?show=all").text.contains("No deadline")))
    }

    @Test func filtersAndPageSurviveTheRoundTrip() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let page = try browser.get("/?show=all&assignee=me").text
        #expect(page.contains(#"<input type="hidden" name="show" value="all"><input type="hidden" name="assignee" value="me">"#))
        let response = try browser.post(
            "/tasks/complete", [("task_id", "t-1"), ("show", "all"), ("assignee", "me"), ("page", "2")], csrfFrom: "/")
        #expect(response.headers["Location"] == "/?show=all&assignee=me&page=2")
    }
}

/// The JSON body of an outbound request.
func json(_ request: OutboundRequest) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: request.body ?? Data()) as? [String: Any])
}
