import Foundation

/// Slows down password guessing against one username.
///
/// The first ``freeFailures`` failures within ``window`` cost nothing; each
/// one after that locks the username for twice as long as the one before
/// (``baseLock``, then double, up to ``maximumLock``). A locked username gets
/// 429 without a password check. Failures are counted per username key
/// whether or not the account exists, so the answers are the same for both.
/// A success clears the count.
struct LoginThrottle: Sendable {
    static let freeFailures = 5
    static let baseLock: TimeInterval = 30
    static let maximumLock: TimeInterval = 15 * 60
    static let window: TimeInterval = 15 * 60

    let store: any LoginFailureStore

    /// Seconds until `usernameKey` may try again, or nil when it may now.
    func retryAfter(usernameKey: String, now: Date) throws -> Int? {
        guard let record = try store.failures(usernameKey: usernameKey) else { return nil }
        let count = Self.countInWindow(record, now: now)
        guard count >= Self.freeFailures else { return nil }
        let lock = min(Self.baseLock * pow(2, Double(count - Self.freeFailures)), Self.maximumLock)
        let remaining = record.last.addingTimeInterval(lock).timeIntervalSince(now)
        return remaining > 0 ? Int(remaining.rounded(.up)) : nil
    }

    func recordFailure(usernameKey: String, now: Date) throws {
        try store.recordFailure(usernameKey: usernameKey, at: now, windowStart: now.addingTimeInterval(-Self.window))
    }

    func reset(usernameKey: String) throws {
        try store.reset(usernameKey: usernameKey)
    }

    /// Forgets failures older than the window (housekeeping).
    func removeStale(now: Date) throws {
        try store.deleteFailures(before: now.addingTimeInterval(-Self.window - Self.maximumLock))
    }

    private static func countInWindow(_ record: LoginFailures, now: Date) -> Int {
        now.timeIntervalSince(record.last) > window ? 0 : record.count
    }
}

/// Failed log-ins for one username key.
struct LoginFailures: Sendable, Equatable {
    let count: Int
    let last: Date
}

/// Where failed log-ins are counted.
protocol LoginFailureStore: Sendable {
    func failures(usernameKey: String) throws -> LoginFailures?
    /// Adds one failure; a count whose last failure is before `windowStart` starts again at 1.
    func recordFailure(usernameKey: String, at date: Date, windowStart: Date) throws
    func reset(usernameKey: String) throws
    func deleteFailures(before date: Date) throws
}
