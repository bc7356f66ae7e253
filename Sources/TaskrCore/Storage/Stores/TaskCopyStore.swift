import Foundation

/// What a page reads of a connection's task copy with its session: the
/// copy's version and age, and why the last refresh failed, never the
/// sealed bytes (``TaskCopyStore/sealedCopy(userID:)`` reads those, once
/// per version per process).
struct TaskCopyState: Sendable, Equatable {
    let userID: Int64
    /// Random, new with every copy written (0 before the first).
    let version: Int64
    /// When the copy was taken from Attio; nil before the first copy.
    let takenAt: Date?
    /// Why the last refresh failed, if it did (after the copy was taken).
    let failure: RefreshFailure?
    let failedAt: Date?
    /// A refresh is wanted and has not finished yet.
    let isDue: Bool
}

/// Why a refresh failed: stored as its raw value, shown in the views' words.
enum RefreshFailure: String, Sendable, Hashable {
    /// No answer in time.
    case noAnswer = "no_answer"
    /// An answer that was not a copy: 5xx, malformed JSON.
    case unavailable
    /// Attio's 429: refreshes wait for its `Retry-After`.
    case rateLimited = "rate_limited"
    /// Taskr stopped calling Attio for a while (the gate's quiet period).
    case quiet
    /// The token is sealed under a key this process does not hold.
    case unknownKey = "unknown_key"
}

/// A claimed refresh: who holds its lease, and how many times the copy had
/// fallen due when it was claimed (``TaskCopyStore/finish(_:copy:at:)``
/// leaves it due when it fell due again meanwhile).
struct TaskCopyClaim: Sendable, Equatable {
    let userID: Int64
    let wanted: Int64
    /// Refreshes in a row that failed before this one (for back-off).
    let failures: Int
    /// The copy's version when it was claimed: a change made through Taskr
    /// meanwhile replaces it, and this refresh's older answer is not stored.
    let version: Int64
    let holder: String
}

/// A copy as stored: sealed, with its version.
struct SealedTaskCopy: Sendable, Equatable {
    let userID: Int64
    let version: Int64
    let sealed: TokenSealer.Sealed
}

/// Where the task copies live, and the refresher's leases on them: the
/// only shared state of the refreshers of every process and host.
protocol TaskCopyStore: Sendable {
    /// A page saw a copy older than its freshness: it falls due now (and
    /// counts as viewed), unless it is due already. Returns whether it changed.
    @discardableResult
    func markStale(userID: Int64, at date: Date) throws -> Bool
    /// Something changed in Attio (a webhook, a change through Taskr): due
    /// now even if a refresh is under way, unless nobody viewed the copy
    /// since `viewedSince`.
    @discardableResult
    func markChanged(userID: Int64, at date: Date, viewedSince: Date) throws -> Bool
    /// When the copy due longest fell due (for the metrics); nil when none is due.
    func oldestDue() throws -> Date?
    /// Whether some copy is due and free to claim at `date` (a cheap read before a claim).
    func anyDue(at date: Date) throws -> Bool
    /// Claims the copy that fell due first and is free (not leased, not
    /// paused) with a lease held by `holder` until `leaseUntil`.
    func claim(holder: String, at date: Date, leaseUntil: Date) throws -> TaskCopyClaim?
    /// Extends the lease; false when it is no longer `claim`'s (it ran out
    /// and another holder took the copy, or the connection went).
    func renew(_ claim: TaskCopyClaim, until: Date) throws -> Bool
    /// Stores the new copy and ends the lease; false (and nothing written)
    /// when the lease is no longer `claim`'s, or the copy changed through
    /// Taskr since the claim (it is due again then).
    func finish(_ claim: TaskCopyClaim, copy: SealedTaskCopy, at date: Date) throws -> Bool
    /// Keeps the last copy, records why the refresh failed and ends the
    /// lease; no refresh is tried before `notBefore`.
    func fail(_ claim: TaskCopyClaim, _ failure: RefreshFailure, at date: Date, notBefore: Date) throws -> Bool
    /// Ends the lease without a copy (the process is stopping).
    func release(_ claim: TaskCopyClaim) throws
    /// A change made through Taskr: `copy` replaces the copy at version
    /// `old` (false, and nothing written, when a refresh replaced it
    /// meanwhile), and the copy falls due for a refresh that confirms it.
    func replace(_ old: SealedTaskCopy, with copy: SealedTaskCopy, at date: Date) throws -> Bool
    func sealedCopy(userID: Int64) throws -> SealedTaskCopy?
    /// Every stored copy (`taskr reseal`, `taskr check`).
    func allSealed() throws -> [SealedTaskCopy]
    /// Replaces the sealed copy only if it is still `old` (a refresh in between wins).
    func replaceSealed(_ old: SealedTaskCopy, with new: TokenSealer.Sealed) throws -> Bool
}
