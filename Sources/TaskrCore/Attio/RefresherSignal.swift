import Foundation

/// The refresher threads' one lock and condition: stopping, waking, and
/// telling waiters a refresh finished.
final class RefresherSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false
    private var running = 0
    private var wakeUps = 0
    private var refreshes = 0

    var isStopping: Bool { locked { stopping } }
    var isRunning: Bool { locked { running > 0 && !stopping } }

    func started() { locked { running += 1 } }

    func exited() {
        locked {
            running -= 1
            condition.broadcast()
        }
    }

    func wake() {
        locked {
            wakeUps += 1
            condition.broadcast()
        }
    }

    func refreshed() {
        locked {
            refreshes += 1
            condition.broadcast()
        }
    }

    /// Waits for a wake-up, a stop, or `seconds`.
    func idle(upTo seconds: TimeInterval) {
        let deadline = Date().addingTimeInterval(seconds)
        locked {
            let seen = wakeUps
            while wakeUps == seen, !stopping, condition.wait(until: deadline) {}
        }
    }

    func waitForARefresh(upTo seconds: TimeInterval) {
        let deadline = Date().addingTimeInterval(seconds)
        locked {
            let seen = refreshes
            while refreshes == seen, !stopping, condition.wait(until: deadline) {}
        }
    }

    func stop(waiting seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        return locked {
            stopping = true
            condition.broadcast()
            while running > 0, condition.wait(until: deadline) {}
            return running == 0
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}
