import Foundation
import HTTP

/// Attio's OAuth endpoints and the few REST calls Taskr makes, over an
/// ``HTTPClient``. Every method is one bounded request; none retries.
struct AttioClient: Sendable {
    let settings: AttioSettings
    let http: any HTTPClient
    let clock: any WallClock

    /// The authorize URL to send the browser to: `response_type=code`,
    /// `client_id`, `redirect_uri`, `state`. No PKCE and no scopes: Attio
    /// documents neither (scopes are set in the app's settings).
    func authorizeURL(state: String) -> URL {
        var components = URLComponents(url: settings.authorizeURL, resolvingAgainstBaseURL: false)!
        components.percentEncodedQueryItems =
            (components.percentEncodedQueryItems ?? []) + [
                URLQueryItem(name: "response_type", value: "code"),
                URLQueryItem(name: "client_id", value: Self.formEncode(settings.clientID ?? "")),
                URLQueryItem(name: "redirect_uri", value: Self.formEncode(settings.redirectURI.absoluteString)),
                URLQueryItem(name: "state", value: Self.formEncode(state)),
            ]
        return components.url!
    }

    /// Redeems an authorization code for an access token, server to server.
    func exchange(code: String) throws(AttioFailure) -> String {
        let response = try send(
            form(
                settings.tokenURL,
                [
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": settings.redirectURI.absoluteString,
                    "client_id": settings.clientID ?? "",
                    "client_secret": settings.clientSecret ?? "",
                ], timeout: 10))
        let token = try decode(AttioModels.TokenResponse.self, from: response).accessToken
        guard !token.isEmpty else { throw .unavailable(reason: "empty access_token") }
        return token
    }

    /// Revokes `token` at Attio. Best effort: failures are returned, not thrown.
    func revoke(token: String) -> AttioFailure? {
        do {
            _ = try send(
                form(
                    settings.revokeURL,
                    [
                        "token": token,
                        "client_id": settings.clientID ?? "",
                        "client_secret": settings.clientSecret ?? "",
                    ], timeout: 3))
            return nil
        } catch {
            return error
        }
    }

    /// One page of `GET /v2/tasks?limit=…&offset=…` (Attio gives no total:
    /// a page shorter than `limit` is the last).
    func tasks(token: String, limit: Int, offset: Int, timeout: TimeInterval) throws(AttioFailure) -> [AttioModels.Task] {
        try decode(AttioModels.TaskList.self, from: get("v2/tasks?limit=\(limit)&offset=\(offset)", token: token, timeout: timeout)).data
    }

    /// `GET /v2/self`: the workspace the token belongs to.
    func identity(token: String, timeout: TimeInterval) throws(AttioFailure) -> AttioModels.Identity {
        try decode(AttioModels.Identity.self, from: get("v2/self", token: token, timeout: timeout))
    }

    /// `GET /v2/workspace_members`.
    func members(token: String, timeout: TimeInterval) throws(AttioFailure) -> [AttioModels.Member] {
        try decode(AttioModels.MemberList.self, from: get("v2/workspace_members", token: token, timeout: timeout)).data
    }

    /// `POST /v2/tasks`: a plaintext task, open, linked to nothing.
    func createTask(token: String, _ task: AttioModels.NewTask, timeout: TimeInterval) throws(AttioFailure) -> AttioModels.Task {
        try decode(AttioModels.TaskEnvelope.self, from: send(json("POST", "v2/tasks", AttioModels.Body(data: task), token: token, timeout: timeout)))
            .data
    }

    /// `PATCH /v2/tasks/{task_id}` with `is_completed`.
    func setCompleted(token: String, taskID: String, _ completed: Bool, timeout: TimeInterval) throws(AttioFailure) -> AttioModels.Task {
        let body = AttioModels.Body(data: AttioModels.Completion(isCompleted: completed))
        return try decode(
            AttioModels.TaskEnvelope.self, from: send(json("PATCH", "v2/tasks/\(Self.pathSegment(taskID))", body, token: token, timeout: timeout))
        ).data
    }

    /// `POST /v2/webhooks` for task changes, delivered to `target`. The
    /// secret comes only in this answer.
    func createWebhook(token: String, target: URL, timeout: TimeInterval) throws(AttioFailure) -> AttioModels.CreatedWebhook {
        let subscriptions = ["task.created", "task.updated", "task.deleted"].map { AttioModels.Subscription(eventType: $0, filter: nil) }
        let body = AttioModels.Body(data: AttioModels.NewWebhook(targetUrl: target.absoluteString, subscriptions: subscriptions))
        let created = try decode(
            AttioModels.WebhookEnvelope.self, from: send(json("POST", "v2/webhooks", body, token: token, timeout: timeout))
        ).data
        guard !created.secret.isEmpty, !created.id.webhookId.isEmpty else { throw .unavailable(reason: "a webhook without id or secret") }
        return created
    }

    /// `DELETE /v2/webhooks/{webhook_id}`. Best effort: failures are returned, not thrown.
    func deleteWebhook(token: String, id: String, timeout: TimeInterval) -> AttioFailure? {
        do {
            _ = try send(request("DELETE", "v2/webhooks/\(Self.pathSegment(id))", token: token, timeout: timeout))
            return nil
        } catch .notFound {
            return nil  // gone already
        } catch {
            return error
        }
    }

    // MARK: - Requests

    private func get(_ path: String, token: String, timeout: TimeInterval) throws(AttioFailure) -> OutboundResponse {
        try send(request("GET", path, token: token, timeout: timeout))
    }

    /// A call to the REST API at `path` (under `ATTIO_API_URL`) with the bearer token.
    private func request(_ method: String, _ path: String, token: String, timeout: TimeInterval) throws(AttioFailure) -> OutboundRequest {
        let base = settings.apiURL.absoluteString.hasSuffix("/") ? settings.apiURL.absoluteString : settings.apiURL.absoluteString + "/"
        guard let url = URL(string: base + path) else { throw .unavailable(reason: "bad API URL") }
        return OutboundRequest(
            method: method, url: url, headers: ["Authorization": "Bearer \(token)", "Accept": "application/json"], timeout: timeout)
    }

    /// Such a call with a JSON body (snake_case keys).
    private func json(
        _ method: String, _ path: String, _ body: some Encodable, token: String, timeout: TimeInterval
    ) throws(AttioFailure) -> OutboundRequest {
        var request = try request(method, path, token: token, timeout: timeout)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(body) else { throw .unavailable(reason: "a body that does not encode") }
        request.headers["Content-Type"] = "application/json"
        request.body = data
        return request
    }

    /// An id as one path segment: everything but unreserved characters percent-encoded.
    private static func pathSegment(_ id: String) -> String { formEncode(id) }

    private func form(_ url: URL, _ fields: KeyValuePairs<String, String>, timeout: TimeInterval) -> OutboundRequest {
        let body = fields.map { "\($0.key)=\(Self.formEncode($0.value))" }.joined(separator: "&")
        return OutboundRequest(
            method: "POST", url: url,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: Data(body.utf8), timeout: timeout)
    }

    /// Sends, and sorts the answer: 2xx passes; 401, 429 and the rest
    /// become their ``AttioFailure``.
    private func send(_ request: OutboundRequest) throws(AttioFailure) -> OutboundResponse {
        let endpoint = endpoint(of: request)
        let response: OutboundResponse
        do {
            response = try http.send(request)
        } catch let error as HTTPClientError where error == .timedOut {
            Instruments.shared.attioCall(endpoint: endpoint, outcome: "no_answer")
            throw .noAnswer(reason: "timed out")
        } catch {
            Instruments.shared.attioCall(endpoint: endpoint, outcome: "no_answer")
            throw .noAnswer(reason: "no answer (\(error))")
        }
        Instruments.shared.attioCall(endpoint: endpoint, outcome: (200..<300).contains(response.status) ? "ok" : String(response.status))
        switch response.status {
        case 200..<300: return response
        case 401: throw .unauthorized
        case 403: throw .forbidden
        case 404: throw .notFound
        case 429: throw .rateLimited(until: Self.retryAfter(response.headers["retry-after"], now: clock.now()))
        default: throw .unavailable(reason: "HTTP \(response.status)")
        }
    }

    /// The endpoint's name for the metrics (a bounded label, never the URL).
    private func endpoint(of request: OutboundRequest) -> String {
        if request.url == settings.tokenURL { return "token" }
        if request.url == settings.revokeURL { return "revoke" }
        let path = request.url.path
        switch (request.method, path) {
        case ("GET", _) where path.hasSuffix("/v2/tasks"): return "tasks.list"
        case ("POST", _) where path.hasSuffix("/v2/tasks"): return "tasks.create"
        case ("PATCH", _) where path.contains("/v2/tasks/"): return "tasks.update"
        case (_, _) where path.hasSuffix("/v2/self"): return "self"
        case (_, _) where path.hasSuffix("/v2/workspace_members"): return "members"
        case ("POST", _) where path.hasSuffix("/v2/webhooks"): return "webhooks.create"
        case ("DELETE", _) where path.contains("/v2/webhooks/"): return "webhooks.delete"
        default: return "other"
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from response: OutboundResponse) throws(AttioFailure) -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: response.body)
        } catch {
            throw .unavailable(reason: "malformed JSON")
        }
    }

    /// `Retry-After` as Attio sends it (an HTTP date) or as seconds; a
    /// minute when absent or unreadable, at most an hour.
    ///
    /// Only printable ASCII reaches the date parser: both forms are ASCII
    /// (RFC 9110 §10.2.3), and Foundation's `DateFormatter` traps on some
    /// non-ASCII text (found by the `attio-json` fuzz target).
    static func retryAfter(_ value: String?, now: Date) -> Date {
        let fallback = now.addingTimeInterval(60)
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty,
            value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
        else { return fallback }
        let until: Date
        if let seconds = TimeInterval(value) {
            until = now.addingTimeInterval(seconds)
        } else if let date = httpDate.date(from: value) {
            until = date
        } else {
            return fallback
        }
        return min(max(until, now), now.addingTimeInterval(3600))
    }

    /// Thread-safe for parsing once configured.
    private static let httpDate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }()

    /// `application/x-www-form-urlencoded` value encoding: everything but
    /// unreserved characters is percent-encoded.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func formEncode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
