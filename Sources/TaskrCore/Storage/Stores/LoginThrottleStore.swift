import Foundation

/// Where failed log-ins are counted.
protocol LoginThrottleStore: Sendable {
    /// In one transaction that excludes every other writer: reads the
    /// counters of `keys`, asks `decide`, and unless it refuses, adds one
    /// failure to each (a counter last touched before `windowStart` starts
    /// again at 1).
    func admit(
        _ keys: ThrottleKeys, at date: Date, windowStart: Date,
        decide: (ThrottleCounters) -> LoginThrottle.Decision
    ) throws -> LoginThrottle.Decision
    /// Deletes the pair's counter, takes one failure off the others, and
    /// marks the pair's address trusted as of `date`.
    func forgive(_ keys: ThrottleKeys, at date: Date) throws
    func deleteStale(failuresBefore: Date, trustedBefore: Date) throws
}
