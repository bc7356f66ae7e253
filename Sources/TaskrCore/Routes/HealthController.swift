import HTTP

/// `GET /healthz`: `200 ok` when the database answers, else 503, for load
/// balancers and monitoring. Plain text, no page chrome.
struct HealthController: Sendable {
    let database: AppDatabase

    func check(_ request: Request, _ context: RequestContext) -> Response {
        database.isAvailable()
            ? .text("ok\n")
            : .text("database unavailable\n", status: .serviceUnavailable)
    }
}
