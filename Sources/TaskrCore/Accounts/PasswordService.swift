import Dispatch
import Sodium
import Synchronization

/// Argon2id hashing and verification, at most a few at a time.
///
/// Each hash takes 19 MiB and tens of milliseconds; a burst of sign-ups or
/// log-ins waits for a permit instead of exhausting memory, and after
/// ``permitWait`` gets a 503 page. A waiting request holds a worker, so at
/// most ``maximumWaiting`` wait: the next one gets 503 at once, and a flood
/// of log-ins leaves the other workers to `/` and `/healthz`. A login for an unknown username verifies
/// against a dummy hash, so it costs the same as a real one and timing does
/// not reveal which usernames exist.
final class PasswordService: Sendable {
    let hasher: PasswordHasher
    private let permits: DispatchSemaphore
    private let permitWait: DispatchTimeInterval
    /// How many may wait for a permit at once.
    let maximumWaiting: Int
    /// Hashes running or waiting for a permit.
    private let inLine = Atomic<Int>(0)
    private let concurrentHashes: Int
    /// What a log-in for an unknown username verifies against.
    let dummyHash: String
    /// Argon2id runs so far (hashes and verifications), for tests and debugging.
    let runs = Atomic<Int>(0)

    /// - Parameters:
    ///   - concurrentHashes: how many hashes may run at once.
    ///   - maximumWaiting: how many may wait for a permit (default: as many as may run).
    ///   - permitWait: how long a request waits for a permit before it gets 503.
    init(
        hasher: PasswordHasher = .owasp, concurrentHashes: Int, maximumWaiting: Int? = nil,
        permitWait: DispatchTimeInterval = .seconds(10)
    ) {
        precondition(concurrentHashes > 0)
        self.hasher = hasher
        self.concurrentHashes = concurrentHashes
        self.maximumWaiting = max(0, maximumWaiting ?? concurrentHashes)
        self.permits = DispatchSemaphore(value: concurrentHashes)
        self.permitWait = permitWait
        self.dummyHash = hasher.unmatchableHash
    }

    /// A new hash of `password`.
    /// - Throws: ``PasswordQueueFull`` when no permit comes in time.
    func hash(_ password: String) throws -> String {
        try withPermit { try hasher.hash(password) }
    }

    /// Whether `password` matches `hash`; with no hash (unknown user) it
    /// spends one verification on the dummy hash and returns false.
    /// - Throws: ``PasswordQueueFull`` when no permit comes in time.
    func verify(_ password: String, against hash: String?) throws -> Bool {
        try withPermit {
            let matches = hasher.verify(password, against: hash ?? dummyHash)
            return hash != nil && matches
        }
    }

    /// Hashes running or waiting right now (tests).
    var waitingOrRunning: Int { inLine.load(ordering: .relaxed) }

    /// Whether `hash` should be replaced by one with the current parameters.
    func needsRehash(_ hash: String) -> Bool {
        hasher.needsRehash(hash)
    }

    /// Runs one Argon2id operation under a permit.
    func withPermit<T>(_ body: () throws -> T) throws -> T {
        let busy = PasswordQueueFull()
        defer { inLine.subtract(1, ordering: .relaxed) }
        guard inLine.add(1, ordering: .acquiringAndReleasing).newValue <= concurrentHashes + maximumWaiting else { throw busy }
        guard permits.wait(timeout: .now() + permitWait) == .success else { throw busy }
        defer { permits.signal() }
        runs.add(1, ordering: .relaxed)
        return try body()
    }
}

/// Too many password hashes running and waiting: the request is answered
/// at once (the application renders it as 503 with `Retry-After`).
struct PasswordQueueFull: Error, Equatable {}
