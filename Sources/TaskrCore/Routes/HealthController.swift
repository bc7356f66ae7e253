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
    /// When the last check started (milliseconds since 1970; `never` before
    /// the first), and what it found. Two atomics, not a lock: every worker
    /// reads them on every poll (Swift's `Mutex` is a priority-inheriting
    /// futex on Linux, and contended it was 10 % of `/healthz`'s time).
    private let lastStarted = Atomic<Int64>(HealthController.never)
    private let lastHealthy = Atomic<Bool>(true)
    private static let never = Int64.min

    init(database: TaskrDatabase, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    func check(_ request: Request, _ context: inout RequestContext) -> Response {
        let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded(.down))
        let started = lastStarted.load(ordering: .acquiring)
        let healthy: Bool
        if started != Self.never, now - started < Int64(Self.checkInterval * 1000) {
            healthy = lastHealthy.load(ordering: .acquiring)
        } else if lastStarted.compareExchange(expected: started, desired: now, ordering: .acquiringAndReleasing).exchanged {
            healthy = database.isAvailable()
            lastHealthy.store(healthy, ordering: .releasing)
        } else {
            // Another worker claimed this check: the previous answer meanwhile.
            healthy = lastHealthy.load(ordering: .acquiring)
        }
        return healthy ? .text("ok\n") : .text("database unavailable\n", status: .serviceUnavailable)
    }
}

extension HealthController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/healthz", check)
    }
}
