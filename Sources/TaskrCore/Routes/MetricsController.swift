import Foundation
import HTTP

/// `GET /metrics`: the process's metrics in Prometheus' text format
/// (version 0.0.4), for a scraper on the internal nginx server only: the
/// FastCGI param `TASKR_METRICS=1` must say so, else it is a 404 like any
/// unknown page. A machine route: no session is read, no cookie written.
struct MetricsController: Controller {
    let passwords: PasswordService
    let copies: any TaskCopyStore
    let clock: any WallClock

    func metrics(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard request.mayReadMetrics else { throw HTTPError.notFound }
        // A database that does not answer leaves the age out (0), not the scrape.
        let oldest = (try? copies.oldestDue()) ?? nil
        let body = Instruments.shared.exposition(
            passwordsWaiting: passwords.waitingOrRunning, oldestDueCopyAge: oldest.map { max(0, clock.now().timeIntervalSince($0)) })
        return Response(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: body)
    }
}

extension MetricsController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/metrics", machine: true, metrics)
    }
}
