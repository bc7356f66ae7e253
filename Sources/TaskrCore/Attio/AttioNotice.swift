/// Why the home page shows no tasks, or not the latest: what happened, not
/// the words (``Views`` has those).
enum AttioNotice: Sendable, Hashable {
    case noTasks
    /// The gate is full or in its quiet period: not called this time.
    case slow
    /// 5xx, a timeout, malformed JSON: the token is kept.
    case unavailable
    /// A 429: calls pause for about this many seconds.
    case rateLimited(seconds: Int)
    /// A 401: the token was dropped, connect again.
    case tokenRefused
    /// Our keys should open the stored token but do not: it was dropped.
    case tokenUnreadable
    /// Sealed under a key this process does not hold: kept.
    case tokenUnderUnknownKey
}
