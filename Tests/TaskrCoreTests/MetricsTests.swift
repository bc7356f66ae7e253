import Foundation
import HTTP
import Testing

@testable import TaskrCore

@Suite("Metrics: /metrics for the internal server only")
struct MetricsTests {
    @Test func withoutTheWebServersParamMetricsIsA404() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        #expect(try browser.get("/metrics").status == .notFound, "a logged-in visitor is no scraper")
        #expect(test.scrape().status == .ok)
    }

    @Test func requestsAreCountedByRoutePatternAndStatusNeverByPath() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let before = test.sample(#"taskr_requests_total{route="unmatched",method="GET",status="404"}"#)
        try browser.get("/a-path-nobody-routes")
        try browser.get("/another/one")
        let text = String(decoding: test.scrape().body, as: UTF8.self)
        #expect(test.sample(#"taskr_requests_total{route="unmatched",method="GET",status="404"}"#) >= before + 2, "other tests count too")
        #expect(!text.contains("a-path-nobody-routes") && !text.contains("ann"))
        #expect(text.contains("# TYPE taskr_request_duration_seconds histogram"))
        #expect(test.scrape().headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(test.scrape().headers.values("Set-Cookie").isEmpty)
    }

    @Test func refreshesAndAttioCallsAreCountedByOutcome() async throws {
        let test = try await TestApp()
        let (ok, calls) = (
            test.sample(#"taskr_refreshes_total{outcome="ok"}"#), test.sample(#"taskr_attio_calls_total{endpoint="tasks.list",outcome="ok"}"#)
        )
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(test.sample(#"taskr_refreshes_total{outcome="ok"}"#) >= ok + 1)
        #expect(test.sample(#"taskr_attio_calls_total{endpoint="tasks.list",outcome="ok"}"#) >= calls + 1)
    }
}

extension TestApp {
    /// `GET /metrics` as nginx's internal server sends it (`TASKR_METRICS=1`).
    func scrape() -> Response {
        var request = try! Request(method: .get, target: "/metrics", headers: ["Host": "127.0.0.1"])
        request.mayReadMetrics = true
        return app.respond(to: request)
    }

    /// The value of one sample line (`name{labels}`) of the exposition; 0 when absent.
    func sample(_ series: String) -> Double {
        let text = String(decoding: scrape().body, as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) } ?? 0
    }
}
