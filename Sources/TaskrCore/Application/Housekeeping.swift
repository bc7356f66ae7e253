import Dispatch
import Foundation
public import Logging

/// Runs a job now and every `interval`, on a thread of its own: the
/// application's removal of expired sessions, OAuth states and stale
/// throttle counters (``Application/removeExpiredData()``), never a write on
/// the request path for it. A failed run is logged and the next one comes
/// on time. Stopped at shutdown, in reverse start order.
public final class Housekeeping: Sendable {
    private let stopSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    public init(every interval: Duration, logger: Logger, _ job: @escaping @Sendable () throws -> Void) {
        let stopSignal = self.stopSignal
        let finished = self.finished
        let (seconds, attoseconds) = interval.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let thread = Thread {
            repeat {
                do {
                    try job()
                } catch {
                    logger.warning("housekeeping failed: \(error)")
                }
            } while stopSignal.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut
            finished.signal()
        }
        thread.name = "housekeeping"
        thread.start()
    }

    /// Stops the thread, waiting for a run in progress to finish.
    public func stop() {
        stopSignal.signal()
        finished.wait()
    }
}
