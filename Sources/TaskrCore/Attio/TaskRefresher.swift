import Foundation
import Logging

/// Keeps the task copies fresh, off the request path: on its own few
/// threads in each `taskr serve` process (never a FastCGI worker), it claims
/// due copies with a lease in the database, so across processes and hosts
/// each copy is refreshed by one holder at a time, and once per falling due.
/// A holder that dies leaves its lease to run out; another takes the copy.
///
/// A refresh reads `/v2/self` (workspace, the member who connected), every
/// page of `/v2/tasks` and, when a task has assignees, the member names;
/// then seals the copy and stores it in one statement (so a refresh stopped
/// half-way writes nothing). A 429 pauses the connection until Attio's
/// `Retry-After`; no answer or a bad one backs off (5 s, doubling to 5
/// minutes) and keeps the last copy; a 401 drops the token and the copy.
final class TaskRefresher: Sendable {
    /// A copy older than this falls due when its page is viewed (SPEC;
    /// `taskr serve --task-freshness` shortens it for tests and demos).
    static let freshness: TimeInterval = 30
    /// How long a claim holds a copy before another holder may take it;
    /// renewed after every page of tasks.
    static let lease: TimeInterval = 20
    static let callTimeout: TimeInterval = 8
    static let pageSize = 500
    /// How often idle threads look for copies other processes made due
    /// (a copy this process makes due wakes them at once).
    static let poll: TimeInterval = 1

    let holder: String
    private let client: AttioClient
    private let gate: AttioGate
    private let sealer: TokenSealer
    private let copies: any TaskCopyStore
    private let connections: any AttioConnectionStore
    private let clock: any WallClock
    private let random: any RandomSource
    private let logger: Logger
    private let signal = RefresherSignal()

    init(
        client: AttioClient, gate: AttioGate, sealer: TokenSealer, copies: any TaskCopyStore, connections: any AttioConnectionStore,
        clock: any WallClock, random: any RandomSource, logger: Logger
    ) {
        self.client = client
        self.gate = gate
        self.sealer = sealer
        self.copies = copies
        self.connections = connections
        self.clock = clock
        self.random = random
        self.logger = logger
        holder = random.token()
    }

    // MARK: - Threads

    /// Starts `threads` refresher threads (`taskr serve`).
    func start(threads: Int) {
        // Not a secret: what an operator (or a test) matches with task_copies.lease_holder.
        logger.info("task refresher \(holder): \(max(1, threads)) thread(s)")
        for number in 0..<max(1, threads) {
            signal.started()
            let thread = Thread { [self] in
                run()
                signal.exited()
            }
            thread.name = "refresher-\(number)"
            thread.start()
        }
    }

    /// Asks the threads to stop and waits up to `wait` seconds for them: a
    /// refresh in progress gives its lease back between Attio's pages, and
    /// one still waiting on Attio is abandoned (its copy is never half-written).
    /// - Returns: whether every thread stopped in time.
    @discardableResult
    func stop(waiting wait: TimeInterval) -> Bool {
        signal.stop(waiting: wait)
    }

    /// A copy fell due in this process: no need to wait for the next poll.
    func wake() { signal.wake() }

    /// Whether refresher threads run here (else nobody here refreshes).
    var isRunning: Bool { signal.isRunning }

    /// Waits (real time) up to `timeout` for the user's first copy: the
    /// OAuth callback lands the person on their tasks. False when it did not come.
    func waitForCopy(userID: Int64, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if (try? copies.sealedCopy(userID: userID)) ?? nil != nil { return true }
            let left = deadline.timeIntervalSinceNow
            guard left > 0, isRunning else { return false }
            signal.waitForARefresh(upTo: min(left, 0.25))
        }
    }

    private func run() {
        while !signal.isStopping {
            do {
                if try refreshOne() { continue }
            } catch {
                logger.warning("task refresher: the database failed: \(error)")
            }
            signal.idle(upTo: Self.poll)
        }
    }

    // MARK: - Refreshing

    /// Claims and refreshes every copy that is due now, one after another
    /// (tests; the threads do the same one copy at a time).
    /// - Returns: how many refreshes were made.
    @discardableResult
    func refreshDue() throws -> Int {
        var count = 0
        while try refreshOne() { count += 1 }
        return count
    }

    /// Claims one due copy and refreshes it; false when none was due.
    private func refreshOne() throws -> Bool {
        let now = clock.now()
        guard try copies.anyDue(at: now),
            let claim = try copies.claim(holder: holder, at: now, leaseUntil: now.addingTimeInterval(Self.lease))
        else { return false }
        try refresh(claim)
        signal.refreshed()
        return true
    }

    private func refresh(_ claim: TaskCopyClaim) throws {
        let userID = claim.userID
        guard let connection = try connections.connection(userID: userID) else { return }  // gone, and its copy with it
        guard sealer.knowsKey(of: connection.sealedToken) else {
            logger.warning("the Attio token of user \(userID) is sealed under key \(connection.sealedToken.keyID), which this process does not hold")
            _ = try copies.fail(claim, .unknownKey, at: clock.now(), notBefore: clock.now().addingTimeInterval(60))
            return
        }
        guard let (token, needsReseal) = sealer.open(connection.sealedToken, userID: userID) else {
            logger.warning("the stored Attio token of user \(userID) opens with none of the configured keys; dropping it")
            if try copies.renew(claim, until: clock.now().addingTimeInterval(Self.lease)) { try connections.delete(userID: userID) }
            return
        }
        if needsReseal {
            _ = try connections.replaceSealedToken(userID: userID, connection.sealedToken, with: sealer.seal(token, userID: userID))
        }
        do {
            guard let copy = try fetch(claim, token: token) else {
                Instruments.shared.refresh("stopped")
                try copies.release(claim)  // stopping
                return
            }
            let sealed = SealedTaskCopy(
                userID: userID, version: Self.newVersion(random), sealed: sealer.seal(copy.encoded(), userID: userID, for: .taskCopy))
            let stored = try copies.finish(claim, copy: sealed, at: clock.now())
            Instruments.shared.refresh(stored ? "ok" : "lost")
            if stored {
                logger.debug("refreshed the task copy of user \(userID): \(copy.tasks.count) task(s)")
            } else {
                // Taken over, reset, or changed through Taskr meanwhile (then it is due again): let the next holder have it.
                try copies.release(claim)
                logger.info("the task copy of user \(userID) was taken over, reset or changed during its refresh; this one is dropped")
            }
        } catch let failure as AttioFailure {
            try record(failure, claim)
        }
    }

    /// Every task, the member names and the workspace; nil when the
    /// process began stopping or the lease was lost between pages.
    private func fetch(_ claim: TaskCopyClaim, token: String) throws -> TaskCopy? {
        let identity = try call(claim) { () throws(AttioFailure) in try client.identity(token: token, timeout: Self.callTimeout) }
        var tasks: [AttioModels.Task] = []
        var isTruncated = false
        while true {
            let page = try call(claim) { () throws(AttioFailure) in
                try client.tasks(token: token, limit: Self.pageSize, offset: tasks.count, timeout: Self.callTimeout)
            }
            tasks += page
            if page.count < Self.pageSize { break }
            if tasks.count >= TaskCopy.maximumTasks {
                isTruncated = true
                break
            }
            guard !signal.isStopping, try copies.renew(claim, until: clock.now().addingTimeInterval(Self.lease)) else { return nil }
        }
        // Always: a task added through Taskr may name any member.
        let names = memberNames(claim, token: token)
        return TaskCopy(
            workspaceName: identity.workspaceName, memberID: identity.authorizedByWorkspaceMemberId,
            tasks: tasks.prefix(TaskCopy.maximumTasks).map { TaskCopy.Task($0, names: names) }, isTruncated: isTruncated,
            memberNames: names)
    }

    /// Member id → display name; a failure leaves the names unknown rather
    /// than failing the copy.
    private func memberNames(_ claim: TaskCopyClaim, token: String) -> [String: String] {
        do {
            let members = try call(claim) { () throws(AttioFailure) in try client.members(token: token, timeout: Self.callTimeout) }
            return Dictionary(members.map { ($0.id.workspaceMemberId, $0.displayName) }) { first, _ in first }
        } catch {
            logger.warning("Attio workspace members for user \(claim.userID) failed: \(error.summary)")
            return [:]
        }
    }

    /// One call, seen by the gate's breaker but taking none of its slots:
    /// the slots keep FastCGI workers free, and this is not one.
    private func call<T>(_ claim: TaskCopyClaim, _ body: () throws(AttioFailure) -> T) throws(AttioFailure) -> T {
        try gate.call(for: claim.userID, takingASlot: false, body)
    }

    private func record(_ failure: AttioFailure, _ claim: TaskCopyClaim) throws {
        let userID = claim.userID
        let now = clock.now()
        Instruments.shared.refresh(Self.outcome(of: failure))
        switch failure {
        case .unauthorized:
            logger.info("Attio refused the token of user \(userID) (401); dropping it and its task copy")
            if try copies.renew(claim, until: now.addingTimeInterval(Self.lease)) { try connections.delete(userID: userID) }
        case let .rateLimited(until):
            logger.warning("Attio rate-limited user \(userID) until \(until)")
            try connections.pause(userID: userID, until: until)
            _ = try copies.fail(claim, .rateLimited, at: now, notBefore: until)
        case .forbidden, .notFound:
            logger.warning("Attio refused the task list of user \(userID): \(failure.summary)")
            _ = try copies.fail(claim, .unavailable, at: now, notBefore: now.addingTimeInterval(Self.backOff(claim.failures)))
        case .busy:
            _ = try copies.fail(claim, .quiet, at: now, notBefore: now.addingTimeInterval(AttioGate.pauseAfterNoAnswer))
        case .noAnswer:
            _ = try copies.fail(claim, .noAnswer, at: now, notBefore: now.addingTimeInterval(Self.backOff(claim.failures)))
        case let .unavailable(reason):
            logger.warning("Attio tasks for user \(userID) failed: \(reason)")
            _ = try copies.fail(claim, .unavailable, at: now, notBefore: now.addingTimeInterval(Self.backOff(claim.failures)))
        }
    }

    private static func outcome(of failure: AttioFailure) -> String {
        switch failure {
        case .unauthorized: "dropped"
        case .rateLimited: RefreshFailure.rateLimited.rawValue
        case .busy: RefreshFailure.quiet.rawValue
        case .noAnswer: RefreshFailure.noAnswer.rawValue
        case .unavailable, .forbidden, .notFound: RefreshFailure.unavailable.rawValue
        }
    }

    /// 5 s after the first failure in a row, doubling, at most 5 minutes.
    static func backOff(_ failuresBefore: Int) -> TimeInterval {
        min(300, 5 * pow(2, Double(min(failuresBefore, 10))))
    }

    /// A copy's version: random, never 0 (no copy yet).
    static func newVersion(_ random: any RandomSource) -> Int64 {
        let value = random.bytes(8).reduce(Int64(0)) { $0 << 8 | Int64($1) } & Int64.max
        return value == 0 ? 1 : value
    }
}
