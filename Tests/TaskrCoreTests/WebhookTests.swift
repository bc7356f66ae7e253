import Foundation
import HTTP
import Sodium
import Testing

@testable import TaskrCore

@Suite("Attio webhooks: registered at connect, signed deliveries")
struct WebhookTests {
    static var settings: Settings {
        var settings = TestApp.configured
        settings.attio.publicURL = URL(string: "https://taskr.example.com")!
        return settings
    }

    @Test(arguments: StoreEngine.available) func connectingRegistersOneWebhookWithItsSecretSealed(engine: StoreEngine) async throws {
        let test = try await TestApp(settings: Self.settings, engine: engine)
        var browser = try loggedIn(test)
        try connect(&browser)
        let register = try #require(test.attio.requests(to: "/v2/webhooks").first)
        #expect(register.method == "POST")
        let expected: NSDictionary = [
            "data": [
                "target_url": "https://taskr.example.com/integrations/attio/webhook",
                "subscriptions": ["task.created", "task.updated", "task.deleted"].map { ["event_type": $0, "filter": NSNull()] },
            ]
        ]
        #expect(try json(register) as NSDictionary == expected)
        #expect(try test.database.texts("SELECT webhook_id || ' ' || webhook_status FROM attio_connections") == ["wh-1 live"])
        let sealed = try #require(try test.database.blobs("SELECT sealed_webhook_secret FROM attio_connections").first)
        #expect(!String(decoding: sealed, as: UTF8.self).contains("whsec-1"))
        if engine == .sqlite { #expect(try test.databaseBytes().range(of: Data("whsec-1".utf8)) == nil) }
    }

    @Test(arguments: StoreEngine.available) func aSignedDeliveryAnswers200AtOnceAndOnlyMakesTheCopyDue(engine: StoreEngine) async throws {
        let test = try await TestApp(settings: Self.settings, engine: engine)
        var browser = try loggedIn(test)
        try connect(&browser)
        let calls = test.attio.requests.count
        let response = test.deliver(Self.delivery("wh-1"), secret: FakeAttio.webhookSecret(1))
        #expect(response.status == .ok && response.headers.values("Set-Cookie").isEmpty)
        #expect(test.attio.requests.count == calls, "the request itself never calls Attio")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(test.attio.requests(to: "/v2/tasks").count == 2)
        #expect(test.deliver(Self.delivery("wh-1"), secret: FakeAttio.webhookSecret(1), header: "X-Attio-Signature").status == .ok)
    }

    @Test func forgedDeliveriesAre401AndChangeNothing() async throws {
        let test = try await TestApp(settings: Self.settings)
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try connect(&bob)
        let body = Self.delivery("wh-1")
        let forgeries: [Response] = [
            test.deliver(body, signature: nil),
            test.deliver(body, signature: String(repeating: "0", count: 64)),
            test.deliver(body, secret: FakeAttio.webhookSecret(2)),  // bob's webhook's secret, for ann's
            test.deliver(Self.delivery("wh-404"), secret: FakeAttio.webhookSecret(1)),
            test.deliver(body + [0x20], signature: Hex.encode(HMACSHA256.authenticate(body, key: Array("whsec-1".utf8)))),
        ]
        #expect(forgeries.map(\.status) == Array(repeating: .unauthorized, count: forgeries.count))
        #expect(try test.app.refresher.refreshDue() == 0, "nothing fell due")
        #expect(test.logs.text.contains("security: refused a webhook delivery"))
        #expect(test.deliver(Array("{not json".utf8), secret: FakeAttio.webhookSecret(1)).status == .badRequest)
        #expect(test.deliver(body, secret: FakeAttio.webhookSecret(1), contentType: "text/plain").status == .unsupportedMediaType)
    }

    @Test func aRedeliveryWithTheSameIdempotencyKeyChangesNothingMore() async throws {
        let test = try await TestApp(settings: Self.settings)
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(test.deliver(Self.delivery("wh-1"), secret: FakeAttio.webhookSecret(1), idempotencyKey: "k-1").status == .ok)
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(test.deliver(Self.delivery("wh-1"), secret: FakeAttio.webhookSecret(1), idempotencyKey: "k-1").status == .ok)
        #expect(try test.app.refresher.refreshDue() == 0, "the same delivery again: already counted")
        #expect(test.deliver(Self.delivery("wh-1"), secret: FakeAttio.webhookSecret(1), idempotencyKey: "k-2").status == .ok)
        #expect(try test.app.refresher.refreshDue() == 1)
    }

    /// With a live webhook the copy ages for 15 minutes, not 30 s; nobody
    /// viewing for a day: deliveries make nothing due.
    @Test func aLiveWebhookLetsTheCopyAgeAndADayWithoutViewsStopsDeliveries() async throws {
        let test = try await TestApp(settings: Self.settings)
        var browser = try loggedIn(test)
        try connect(&browser)
        test.clock.advance(by: 60)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 0, "a minute old: fine while the webhook is live")
        test.clock.advance(by: TaskBoard.freshnessWithWebhook)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        test.clock.advance(by: AttioWebhooks.viewedWithin + 1)
        #expect(test.deliver(Self.delivery("wh-1"), secret: FakeAttio.webhookSecret(1)).status == .ok)
        #expect(try test.app.refresher.refreshDue() == 0, "nobody viewed it for a day")
    }

    @Test func withoutTheWebhookScopeCopiesRefreshByAgeAndThePageSaysSo() async throws {
        let test = try await TestApp(settings: Self.settings)
        test.attio.fail(
            "POST /v2/webhooks", with: .status(403, body: #"{"status_code":403,"type":"auth_error","code":"insufficient_scope","message":"no"}"#))
        var browser = try loggedIn(test)
        #expect(try connect(&browser).status == .seeOther, "connecting works without it")
        #expect(try test.database.rows("SELECT webhook_id, webhook_status FROM attio_connections") == [[.null, .text("no_scope")]])
        let html = try browser.get("/").text
        #expect(html.contains("did not grant Taskr the webhook:read-write scope") && html.contains("No deadline"))
        letCopiesGoStale(test)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 1, "by age, every 30 s of viewing")
    }

    @Test func disconnectReconnectAndAccountDeletionDeleteTheWebhookAtAttio() async throws {
        let test = try await TestApp(settings: Self.settings)
        var browser = try loggedIn(test)
        try connect(&browser)
        try connect(&browser)
        #expect(test.attio.requests(to: "/v2/webhooks/wh-1").map(\.method) == ["DELETE"], "the reconnect's old webhook")
        try browser.post("/integrations/attio/disconnect", [], csrfFrom: "/")
        #expect(test.attio.requests(to: "/v2/webhooks/wh-2").map(\.method) == ["DELETE"])
        try connect(&browser)
        try browser.post("/account/delete", [("password", "correct horse")], csrfFrom: "/account")
        #expect(test.attio.requests(to: "/v2/webhooks/wh-3").map(\.method) == ["DELETE"])
    }

    @Test func withoutAPublicURLNoWebhookIsAskedFor() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(test.attio.requests(to: "/v2/webhooks").isEmpty)
        #expect(!(try browser.get("/").text.contains("webhook")))
    }

    static func delivery(_ webhookID: String) -> [UInt8] {
        Array(
            #"{"webhook_id":"\#(webhookID)","events":[{"event_type":"task.updated","id":{"workspace_id":"ws-1","task_id":"t-1"},"actor":{"type":"workspace-member","id":"m-1"}}]}"#
                .utf8)
    }
}

extension TestApp {
    /// Attio's POST of `body` to the webhook route, signed under `secret`
    /// (or carrying `signature` as it is), with no cookie.
    func deliver(
        _ body: [UInt8], secret: String? = nil, signature: String? = nil, header: String = "Attio-Signature",
        contentType: String = "application/json", idempotencyKey: String? = nil
    ) -> Response {
        var headers = Headers()
        headers["Host"] = "localhost"
        headers["Content-Type"] = contentType
        if let value = signature ?? secret.map({ Hex.encode(HMACSHA256.authenticate(body, key: Array($0.utf8))) }) { headers[header] = value }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        return app.respond(to: try! Request(method: .post, target: "/integrations/attio/webhook", headers: headers, body: body))
    }
}
