import Foundation
import HTTP
import Synchronization

/// `GET /healthz`: `200 ok` when the database answers, else 503, for load
/// balancers and monitoring. Plain text, no page chrome.
///
/// The check takes SQLite's write lock, which all writers share, so it runs
/// at most once per ``checkInterval``; requests in between get the last
/// answer (one at most that old), however hard the endpoint is polled.
final class HealthController: Controller {
    static let checkInterval: TimeInterval = 1

    private let database: TaskrDatabase
    private let clock: any WallClock
    /// When the last check started, and what it found.
    private let last = Mutex<(startedAt: Date, healthy: Bool)?>(nil)

    init(database: TaskrDatabase, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    func check(_ request: Request, _ context: inout RequestContext) -> Response {
        let now = clock.now()
        let cached: Bool? = last.withLock { last in
            if let last, now.timeIntervalSince(last.startedAt) < Self.checkInterval { return last.healthy }
            // Claim the next check; others keep the previous answer meanwhile.
            last = (now, last?.healthy ?? true)
            return nil
        }
        let healthy: Bool
        if let cached {
            healthy = cached
        } else {
            healthy = database.isAvailable()
            last.withLock { $0 = (now, healthy) }
        }
        return healthy ? .text("ok\n") : .text("database unavailable\n", status: .serviceUnavailable)
    }
}

extension HealthController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/healthz", check)
    }
}
