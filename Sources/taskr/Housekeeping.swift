import Dispatch
import Foundation
import Logging
import TaskrCore

/// Deletes expired sessions, OAuth states and stale throttle counters now
/// and every `interval`, on a thread of its own: never a write on the
/// request path for it. Stopped at shutdown, in reverse start order.
final class Housekeeping: Sendable {
    private let stopSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(_ application: Application, every interval: Duration, logger: Logger) {
        let stopSignal = self.stopSignal
        let finished = self.finished
        let thread = Thread {
            repeat {
                do {
                    try application.removeExpiredData()
                } catch {
                    logger.warning("housekeeping failed: \(error)")
                }
            } while stopSignal.wait(timeout: .now() + .seconds(Int(interval.components.seconds))) == .timedOut
            finished.signal()
        }
        thread.name = "housekeeping"
        thread.start()
    }

    /// Stops the thread, waiting for a run in progress to finish.
    func stop() {
        stopSignal.signal()
        finished.wait()
    }
}
