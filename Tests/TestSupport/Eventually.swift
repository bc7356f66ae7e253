import Foundation

/// Waits until `condition` holds, checking every few milliseconds; false
/// when `timeout` passes first. For what a test waits on, never for time.
public func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}
