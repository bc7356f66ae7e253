import Foundation
import Synchronization

/// Makes a log-in wait the throttle's username-wide delay, with a bound on
/// how many may wait at once: a waiting log-in holds a worker, so past
/// ``maximumWaiting`` the next one is answered at once (503) instead of
/// parking another worker.
final class LoginPacer: Sendable {
    let maximumWaiting: Int
    private let waiting = Atomic<Int>(0)

    init(maximumWaiting: Int) {
        self.maximumWaiting = max(1, maximumWaiting)
    }

    /// How many are waiting right now (tests).
    var waitingNow: Int { waiting.load(ordering: .relaxed) }

    /// Waits `seconds`; false, at once, when too many are waiting already.
    func pause(_ seconds: TimeInterval) -> Bool {
        guard seconds > 0 else { return true }
        guard waiting.add(1, ordering: .acquiringAndReleasing).newValue <= maximumWaiting else {
            waiting.subtract(1, ordering: .relaxed)
            return false
        }
        defer { waiting.subtract(1, ordering: .relaxed) }
        Thread.sleep(forTimeInterval: seconds)
        return true
    }
}
