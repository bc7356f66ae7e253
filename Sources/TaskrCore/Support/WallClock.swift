public import Foundation

/// The current time, as a dependency: tests pass a clock they move by hand
/// to check expiry without waiting.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
