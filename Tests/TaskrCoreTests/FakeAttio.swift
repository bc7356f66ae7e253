import Foundation
import HTTP
import Synchronization

@testable import TaskrCore

/// Attio as the application's ``HTTPClient`` sees it, in process: answers
/// like Attio's documented endpoints, records every request, and can be
/// told to fail in each of the ways the pages must survive.
final class FakeAttio: HTTPClient {
    enum Failure: Sendable {
        case status(
            Int, headers: [String: String] = [:], body: String = #"{"status_code":500,"type":"api_error","code":"internal","message":"boom"}"#)
        case timeout
        case malformedJSON
        /// Answers normally once the semaphore is signalled.
        case hang(DispatchSemaphore)
    }

    private struct State {
        var requests: [OutboundRequest] = []
        var failures: [String: Failure] = [:]
        var tasksJSON = FakeAttio.defaultTasks
        var selfJSON =
            #"{"active":true,"workspace_id":"ws-1","workspace_name":"Acme <Corp>","workspace_slug":"acme","authorized_by_workspace_member_id":"m-1"}"#
        var membersJSON = FakeAttio.defaultMembers
        var issuedTokens = 0
        var webhooks = 0
        var onExchange: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())
    private let clock: ManualClock

    init(clock: ManualClock) { self.clock = clock }

    /// Makes the endpoint at `path` (`/oauth/token`, `/v2/tasks`, …) fail
    /// until told otherwise; `"POST /v2/tasks"`, `"PATCH /v2/tasks"` (any
    /// task), `"POST /v2/webhooks"` name one method's calls only.
    func fail(_ path: String, with failure: Failure?) { state.withLock { $0.failures[path] = failure } }
    /// Runs `action` during every token exchange, before it answers.
    func onExchange(_ action: (@Sendable () -> Void)?) { state.withLock { $0.onExchange = action } }
    func setTasks(_ json: String) { state.withLock { $0.tasksJSON = json } }
    func setSelf(_ json: String) { state.withLock { $0.selfJSON = json } }
    func setMembers(_ json: String) { state.withLock { $0.membersJSON = json } }
    var requests: [OutboundRequest] { state.withLock { $0.requests } }
    func requests(to path: String) -> [OutboundRequest] { requests.filter { $0.url.path == path } }
    /// The access token the last code exchange handed out.
    var lastIssuedToken: String { "attio-token-\(state.withLock { $0.issuedTokens })" }

    func send(_ request: OutboundRequest) throws -> OutboundResponse {
        let path = request.url.path
        let route = "\(request.method) \(path.hasPrefix("/v2/tasks/") ? "/v2/tasks" : path.hasPrefix("/v2/webhooks/") ? "/v2/webhooks" : path)"
        let failure: Failure? = state.withLock { state in
            state.requests.append(request)
            return state.failures[route] ?? state.failures[path]
        }
        switch failure {
        case let .status(code, headers, body): return OutboundResponse(status: code, headers: headers, body: Data(body.utf8))
        case .timeout: throw HTTPClientError.timedOut
        case .malformedJSON: return OutboundResponse(status: 200, body: Data(#"{"data": [ {"content_plaintext": "#.utf8))
        case let .hang(release): release.wait()
        case nil: break
        }
        switch path {
        case "/oauth/token":
            state.withLock { $0.onExchange }?()
            let number = state.withLock { state -> Int in
                state.issuedTokens += 1
                return state.issuedTokens
            }
            return json(#"{"access_token":"attio-token-\#(number)","token_type":"Bearer"}"#)
        case "/oauth/revoke":
            return json("{}")
        case "/v2/self":
            return json(state.withLock { $0.selfJSON })
        case "/v2/workspace_members":
            return json(state.withLock { $0.membersJSON })
        case "/v2/tasks" where request.method == "POST":
            return state.withLock { state in
                let body = (try? JSONSerialization.jsonObject(with: request.body ?? Data())) as? [String: Any]
                let data = body?["data"] as? [String: Any] ?? [:]
                var tasks = Self.tasks(state.tasksJSON)
                let task: [String: Any] = [
                    "id": ["workspace_id": "ws-1", "task_id": "t-new-\(tasks.count + 1)"], "content_plaintext": data["content"] ?? "",
                    "format": "plaintext", "deadline_at": data["deadline_at"] ?? NSNull(), "is_completed": false, "linked_records": [],
                    "assignees": data["assignees"] ?? [], "created_at": "2026-12-01T10:00:00.000000000Z",
                ]
                tasks.append(task)
                state.tasksJSON = Self.json(["data": tasks])
                return json(Self.json(["data": task]))
            }
        case "/v2/tasks":
            return json(Self.page(of: state.withLock { $0.tasksJSON }, request.url))
        case let path where path.hasPrefix("/v2/tasks/") && request.method == "PATCH":
            let id = String(path.dropFirst("/v2/tasks/".count))
            return state.withLock { state in
                let body = (try? JSONSerialization.jsonObject(with: request.body ?? Data())) as? [String: Any]
                var tasks = Self.tasks(state.tasksJSON)
                guard let index = tasks.firstIndex(where: { ($0["id"] as? [String: Any])?["task_id"] as? String == id }) else {
                    return OutboundResponse(
                        status: 404, body: Data(#"{"status_code":404,"type":"invalid_request_error","code":"not_found","message":"no"}"#.utf8))
                }
                if let completed = (body?["data"] as? [String: Any])?["is_completed"] as? Bool { tasks[index]["is_completed"] = completed }
                state.tasksJSON = Self.json(["data": tasks])
                return json(Self.json(["data": tasks[index]]))
            }
        case "/v2/webhooks" where request.method == "POST":
            let number = state.withLock { state -> Int in
                state.webhooks += 1
                return state.webhooks
            }
            return json(#"{"data":{"id":{"workspace_id":"ws-1","webhook_id":"wh-\#(number)"},"status":"active","secret":"whsec-\#(number)"}}"#)
        case let path where path.hasPrefix("/v2/webhooks/") && request.method == "DELETE":
            return json("{}")
        default:
            return OutboundResponse(
                status: 404, body: Data(#"{"status_code":404,"type":"invalid_request_error","code":"not_found","message":"no"}"#.utf8))
        }
    }

    /// `count` tasks, `t-1`…, open but every third, deadlines in task
    /// order for the open ones, the first member assigned to every other.
    func setTasks(count: Int) {
        let tasks = (1...max(1, count)).prefix(count).map { number in
            let assignees = number % 2 == 0 ? #"[{"referenced_actor_type":"workspace-member","referenced_actor_id":"m-1"}]"# : "[]"
            let deadline = String(format: "\"2027-01-01T00:00:%02d.000000000Z\"", number % 60)
            return #"{"id":{"workspace_id":"ws-1","task_id":"t-\#(number)"},"content_plaintext":"Task number \#(number)","#
                + #""deadline_at":\#(number % 3 == 0 ? "null" : deadline),"is_completed":\#(number % 3 == 0),"assignees":\#(assignees),"#
                + #""created_at":"2026-11-01T10:00:00.\#(String(format: "%09d", number))Z"}"#
        }
        setTasks(#"{"data":[\#(tasks.joined(separator: ","))]}"#)
    }

    private static func tasks(_ json: String) -> [[String: Any]] {
        ((try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any])?["data"] as? [[String: Any]] ?? []
    }

    private static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }

    /// The secret of the webhook the fake registered `number`th.
    static func webhookSecret(_ number: Int) -> String { "whsec-\(number)" }

    /// The page `limit`/`offset` of `url` asks for, as Attio pages; the
    /// text as it is when it is not a task list (malformed on purpose).
    private static func page(of json: String, _ url: URL) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let tasks = object["data"] as? [Any]
        else { return json }
        let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let limit = query.first { $0.name == "limit" }?.value.flatMap(Int.init) ?? 500
        let offset = query.first { $0.name == "offset" }?.value.flatMap(Int.init) ?? 0
        let page = Array(tasks.dropFirst(offset).prefix(limit))
        let data = (try? JSONSerialization.data(withJSONObject: ["data": page])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private func json(_ text: String) -> OutboundResponse {
        OutboundResponse(status: 200, headers: ["content-type": "application/json"], body: Data(text.utf8))
    }

    static let defaultMembers = #"""
        {"data":[
          {"id":{"workspace_id":"ws-1","workspace_member_id":"m-1"},"first_name":"Ada","last_name":"Lovelace","email_address":"ada@example.com"},
          {"id":{"workspace_id":"ws-1","workspace_member_id":"m-2"},"first_name":"","last_name":"","email_address":"grace@example.com"}
        ]}
        """#

    static let defaultTasks = #"""
        {"data":[
          {"id":{"workspace_id":"ws-1","task_id":"t-1"},"content_plaintext":"Call <b>Bob</b> & \"friends\"","format":"plaintext",
           "deadline_at":"2026-12-01T15:30:00.000000000Z","is_completed":false,
           "linked_records":[],"assignees":[{"referenced_actor_type":"workspace-member","referenced_actor_id":"m-1"}],
           "created_by_actor":{"type":"workspace-member","id":"m-1"},"created_at":"2026-11-01T10:00:00.123456789Z"},
          {"id":{"workspace_id":"ws-1","task_id":"t-2"},"content_plaintext":"Send invoice","deadline_at":"2026-12-24",
           "is_completed":true,"linked_records":[],"assignees":[{"referenced_actor_type":"workspace-member","referenced_actor_id":"m-2"},{"referenced_actor_type":"workspace-member","referenced_actor_id":"m-404"}],
           "created_by_actor":{"type":"system","id":null},"created_at":"2026-11-02T10:00:00.000000000Z"},
          {"id":{"workspace_id":"ws-1","task_id":"t-3"},"content_plaintext":"No deadline","deadline_at":null,"is_completed":false,
           "linked_records":[],"assignees":[],"created_by_actor":{"type":"api-token","id":"x"},"created_at":"2026-11-03T10:00:00.000000000Z"}
        ]}
        """#
}
