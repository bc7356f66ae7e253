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
    /// Takes back the failure an admitted attempt was counted as, from each
    /// of its three counters, when the password was never judged (the
    /// server was too busy to check it).
    func retract(_ keys: ThrottleKeys) throws
    /// Deletes the pair's counter, takes one failure off the others, and
    /// marks the pair's address trusted as of `date`.
    func forgive(_ keys: ThrottleKeys, at date: Date) throws
    /// Deletes the failures counted against one name (its per-name and
    /// per-pair counters, found by the name's digest), keeping the
    /// addresses it is trusted from; returns how many counters went.
    func clear(usernameDigest: [UInt8]) throws -> Int
    func deleteStale(failuresBefore: Date, trustedBefore: Date) throws
}
