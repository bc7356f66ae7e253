import Foundation
import Sodium

/// Slows down password guessing without letting a stranger lock the owner out.
///
/// Three counters of failed log-ins, each within a sliding ``window``:
/// - per (username, client address): after ``pairFreeFailures`` that pair
///   is locked, 30 s doubling up to 15 minutes, and gets 429 without a
///   password check;
/// - per client address (an IPv6 client by its /64), whatever the username:
///   after ``addressFreeFailures`` that address is locked the same way,
///   except for a name that logged in from it before (a trusted pair);
/// - per username, from every address: after ``usernameFreeFailures`` (more
///   than one address can reach alone inside a window, as its pair locks)
///   each attempt waits a growing delay before its password check — never a
///   refusal, so the right password from a clean address still gets in.
///   An address the account logged in from before (within
///   ``trustedAddressLifetime``) skips that delay: the owner's usual
///   networks stay fast while strangers guess from everywhere else.
///
/// Check and count are one immediate transaction: an attempt is counted as
/// a failure *before* its password is checked, and forgiven if it was
/// right, so N parallel attempts when a lock ends get one guess, not N.
/// Failures are counted whether or not the account exists, and keyed by
/// fixed-size digests, never the typed text.
struct LoginThrottle: Sendable {
    static let pairFreeFailures = 5
    static let addressFreeFailures = 20
    static let usernameFreeFailures = 20
    static let baseLock: TimeInterval = 30
    static let maximumLock: TimeInterval = 15 * 60
    static let window: TimeInterval = 15 * 60
    static let firstDelay: TimeInterval = 0.5
    static let maximumDelay: TimeInterval = 4
    static let trustedAddressLifetime: TimeInterval = 30 * 24 * 3600

    let store: any LoginThrottleStore

    /// One admitted attempt: the keys it was counted under, and how long it
    /// must wait before its password check.
    struct Attempt: Sendable, Equatable {
        let keys: ThrottleKeys
        let delay: TimeInterval
    }

    enum Decision: Sendable, Equatable {
        /// Locked: try again after this many seconds; nothing was counted.
        case refused(retryAfter: Int, byAddress: Bool)
        case admitted(Attempt)
    }

    /// Decides on a log-in attempt and, when it is admitted, counts it as a failure.
    func admit(usernameKey: String, address: String?, now: Date) throws -> Decision {
        let keys = ThrottleKeys(usernameKey: usernameKey, address: address)
        return try store.admit(keys, at: now, windowStart: now.addingTimeInterval(-Self.window)) { counters in
            if let wait = Self.lockRemaining(counters.pair, free: Self.pairFreeFailures, now: now) {
                return .refused(retryAfter: wait, byAddress: false)
            }
            let trusted = counters.trusted.map { now.timeIntervalSince($0.last) < Self.trustedAddressLifetime } ?? false
            // A name that logged in from this address before passes the
            // address-wide lock: a stranger on the same NAT, guessing other
            // names, does not lock the owner out (the pair's own lock still holds).
            if !trusted, let wait = Self.lockRemaining(counters.address, free: Self.addressFreeFailures, now: now) {
                return .refused(retryAfter: wait, byAddress: true)
            }
            return .admitted(Attempt(keys: keys, delay: trusted ? 0 : Self.delay(counters.username, now: now)))
        }
    }

    /// The attempt had the right password: its pair starts again from zero,
    /// the failure it was counted as is taken back from the others, and its
    /// address is trusted for this name from now on.
    func succeeded(_ attempt: Attempt, now: Date) throws {
        try store.forgive(attempt.keys, at: now)
    }

    /// The attempt's password was never checked (no pacer slot, no Argon2
    /// permit): the failure it was counted as is taken back, so a refusal
    /// for capacity never counts against anyone.
    func withdrawn(_ attempt: Attempt) throws {
        try store.retract(attempt.keys)
    }

    /// Forgets counters idle for longer than any lock, and trusted
    /// addresses not used for ``trustedAddressLifetime`` (housekeeping).
    func removeStale(now: Date) throws {
        try store.deleteStale(
            failuresBefore: now.addingTimeInterval(-Self.window - Self.maximumLock),
            trustedBefore: now.addingTimeInterval(-Self.trustedAddressLifetime))
    }

    /// Seconds left of the lock `failures` put on, or nil when there is none.
    static func lockRemaining(_ failures: LoginFailures?, free: Int, now: Date) -> Int? {
        guard let failures, now.timeIntervalSince(failures.last) <= window, failures.count >= free else { return nil }
        let lock = min(baseLock * pow(2, Double(failures.count - free)), maximumLock)
        let remaining = failures.last.addingTimeInterval(lock).timeIntervalSince(now)
        return remaining > 0 ? Int(remaining.rounded(.up)) : nil
    }

    /// The username-wide delay: none up to the free failures, then doubling.
    static func delay(_ failures: LoginFailures?, now: Date) -> TimeInterval {
        guard let failures, now.timeIntervalSince(failures.last) <= window, failures.count >= usernameFreeFailures else { return 0 }
        return min(firstDelay * pow(2, Double(failures.count - usernameFreeFailures)), maximumDelay)
    }
}

/// The three counters one attempt touches, as fixed-size digests: the
/// typed username is never stored, whatever its length.
struct ThrottleKeys: Sendable, Equatable {
    let pair: [UInt8]
    let address: [UInt8]
    let username: [UInt8]
    /// This name's successful log-ins from this address.
    let trusted: [UInt8]

    init(usernameKey: String, address: String?) {
        let client = ClientAddress.throttleKey(address)
        username = Self.usernameDigest(usernameKey)
        pair = SHA256.hash(Array("pair\u{0}\(usernameKey)\u{0}\(client)".utf8))
        self.address = SHA256.hash(Array("address\u{0}\(client)".utf8))
        trusted = SHA256.hash(Array("trusted\u{0}\(usernameKey)\u{0}\(client)".utf8))
    }

    /// The key of the name's own counter, also stored beside its per-pair
    /// and trusted-address rows: what finds every row of one name.
    static func usernameDigest(_ usernameKey: String) -> [UInt8] {
        SHA256.hash(Array("username\u{0}\(usernameKey)".utf8))
    }
}

/// Failed log-ins under one key.
struct LoginFailures: Sendable, Equatable {
    let count: Int
    let last: Date
}

/// The counters of one attempt, as they were before it.
struct ThrottleCounters: Sendable {
    var pair: LoginFailures?
    var address: LoginFailures?
    var username: LoginFailures?
    /// When this name last logged in from this address, if it did.
    var trusted: LoginFailures?
}
