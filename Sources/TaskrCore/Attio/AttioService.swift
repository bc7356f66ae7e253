import Dispatch
import Foundation
import Logging
import Sodium
import Synchronization

/// The Attio integration: starting and finishing the OAuth connection, the
/// dashboard of tasks, and disconnecting.
///
/// A slow Attio must not hold every FastCGI worker: every call to Attio —
/// tasks, members, the token exchange, `/v2/self`, revocation — goes
/// through one gate (``gated(waiting:_:)``): at most `maxConcurrentCalls`
/// requests talk to Attio at once. The home page does not wait for a slot
/// (it shows a notice at once); the steps a person is waiting on — the
/// token exchange, `/v2/self`, revocation — wait at most ``slotWait`` for
/// one, so a busy moment does not fail a connection, and a hanging Attio
/// still holds no more workers than the gate has slots for long. After a
/// call got no answer, nobody calls Attio for ``pauseAfterNoAnswer``. After a 429 the user's calls pause
/// until Attio's `Retry-After`. A user's tasks are reused for
/// ``tasksLifetime`` (a reload does not call Attio again), workspace members
/// for ``membersLifetime``.
final class AttioService: Sendable {
    static let stateLifetime: TimeInterval = 10 * 60
    static let membersLifetime: TimeInterval = 10 * 60
    static let tasksLifetime: TimeInterval = 10
    static let pauseAfterNoAnswer: TimeInterval = 10
    /// How long a connection step waits for a free slot of the gate.
    static let slotWait: TimeInterval = 2
    /// The dashboard's calls all fit well inside SPEC's 15 s.
    static let tasksTimeout: TimeInterval = 8
    static let membersTimeout: TimeInterval = 4

    let settings: AttioSettings
    private let client: AttioClient
    private let sealer: TokenSealer
    private let connections: any AttioConnectionStore
    private let states: any OAuthStateStore
    private let clock: any WallClock
    private let random: any RandomSource
    private let logger: Logger
    private let gate: DispatchSemaphore
    private let pausedUntil = Mutex<[Int64: Date]>([:])
    private let attioQuietUntil = Mutex<Date>(.distantPast)
    private let recentTasks = Mutex<[Int64: (tasks: [Dashboard.Task], fetchedAt: Date)]>([:])
    private let memberNames = Mutex<[Int64: (names: [String: String], fetchedAt: Date)]>([:])

    init(
        settings: AttioSettings, http: any HTTPClient, sealer: TokenSealer,
        connections: any AttioConnectionStore, states: any OAuthStateStore,
        clock: any WallClock, random: any RandomSource, maxConcurrentCalls: Int, logger: Logger
    ) {
        self.settings = settings
        self.client = AttioClient(settings: settings, http: http, clock: clock)
        self.sealer = sealer
        self.connections = connections
        self.states = states
        self.clock = clock
        self.random = random
        self.gate = DispatchSemaphore(value: max(1, maxConcurrentCalls))
        self.logger = logger
    }

    // MARK: - Connecting

    /// A fresh 256-bit `state` bound to `session`, and the authorize URL that carries it.
    func startConnecting(session: Session) throws -> URL {
        let state = random.token()
        try states.insert(stateHash: SHA256.hash(Array(state.utf8)), sessionHash: session.idHash, at: clock.now())
        return client.authorizeURL(state: state)
    }

    /// Uses up `state`: true only if it was issued to `session` less than
    /// 10 minutes ago and not used before. Called before the code is redeemed.
    func consumeState(_ state: String, session: Session) throws -> Bool {
        guard let issued = try states.consume(stateHash: SHA256.hash(Array(state.utf8))) else { return false }
        return ConstantTime.equals(issued.sessionHash, session.idHash)
            && clock.now().timeIntervalSince(issued.createdAt) < Self.stateLifetime
    }

    /// Redeems `code`, learns the workspace, and stores the sealed token.
    /// Attio tokens never expire, so a token this replaces is revoked once
    /// the new one is stored, and the new one if storing it fails.
    /// - Throws: ``AttioFailure`` when the token endpoint gives no token (or
    ///   is not called: ``AttioFailure/busy``); nothing is stored then.
    func finishConnecting(user: User, code: String) throws {
        let token = try gated(waiting: Self.slotWait) { () throws(AttioFailure) in try client.exchange(code: code) }
        // The workspace name is shown on every page: learn it once, now. Not
        // fatal: the tasks still show without it.
        var identity: AttioModels.Identity?
        do {
            identity = try gated(waiting: Self.slotWait) { () throws(AttioFailure) in try client.identity(token: token, timeout: 5) }
        } catch {
            logger.warning("connected user \(user.id) to Attio, but /v2/self failed: \(Self.describe(error))")
        }
        let previous = try connections.connection(userID: user.id)
        do {
            try connections.save(AttioConnection(
                userID: user.id, sealedToken: sealer.seal(token, userID: user.id),
                workspaceID: identity?.workspaceId, workspaceName: identity?.workspaceName, connectedAt: clock.now()))
        } catch {
            revoke(token, of: user, why: "it could not be stored")
            throw error
        }
        // A new token may open another workspace: nothing of the old one is reused.
        forgetCaches(userID: user.id)
        logger.info("connected user \(user.id) to Attio")
        if let previous, let (old, _) = sealer.open(previous.sealedToken, userID: user.id), old != token {
            revoke(old, of: user, why: "a new connection replaced it")
        }
    }

    /// Revokes the token at Attio (best effort, 3 s at most) and forgets it.
    func disconnect(user: User) throws {
        if let connection = try connections.connection(userID: user.id), let (token, _) = sealer.open(connection.sealedToken, userID: user.id) {
            revoke(token, of: user, why: "the user disconnected")
        }
        try connections.delete(userID: user.id)
        forgetCaches(userID: user.id)
        logger.info("disconnected user \(user.id) from Attio")
    }

    /// Revokes `token` at Attio, best effort: a failure is logged, never thrown.
    private func revoke(_ token: String, of user: User, why: String) {
        do {
            try gated(waiting: Self.slotWait) { () throws(AttioFailure) in
                if let failure = client.revoke(token: token) { throw failure }
            }
            logger.info("revoked an Attio token of user \(user.id): \(why)")
        } catch {
            logger.warning("revoking an Attio token of user \(user.id) (\(why)) failed: \(Self.describe(error))")
        }
    }

    /// Runs one call to Attio through the gate.
    /// - Parameter wait: how long to wait for a free slot (seconds).
    /// - Throws: ``AttioFailure/busy`` without calling: at once while Attio
    ///   is in its quiet period, or when no slot frees up within `wait`. A
    ///   call that gets no answer starts the quiet period.
    private func gated<T>(waiting wait: TimeInterval = 0, _ call: () throws(AttioFailure) -> T) throws(AttioFailure) -> T {
        guard attioQuietUntil.withLock({ $0 }) <= clock.now(),
            gate.wait(timeout: .now() + .milliseconds(Int(wait * 1000))) == .success
        else { throw .busy }
        defer { gate.signal() }
        do {
            return try call()
        } catch .noAnswer(let reason) {
            logger.warning("Attio gave no answer (\(reason)): not calling it for \(Int(Self.pauseAfterNoAnswer)) s")
            attioQuietUntil.withLock { $0 = clock.now().addingTimeInterval(Self.pauseAfterNoAnswer) }
            throw .noAnswer(reason: reason)
        }
    }

    // MARK: - Dashboard

    /// The user's Attio state for the home page, from the `connection` read
    /// with the session. Never throws for Attio's failures: they become a
    /// notice, and only a 401 drops the token.
    func dashboard(for user: User, connection: AttioConnection?) throws -> Dashboard {
        guard let connection else { return .notConnected }
        var dashboard = Dashboard(isConnected: true, workspaceName: connection.workspaceName)
        guard sealer.knowsKey(of: connection.sealedToken) else {
            logger.warning("the stored Attio token of user \(user.id) is sealed under key \(connection.sealedToken.keyID), which this process does not hold; keeping it")
            return Dashboard(
                isConnected: false,
                notice: "Your Attio connection cannot be read by this server right now. If this stays, connect Attio again.")
        }
        guard let (token, needsReseal) = sealer.open(connection.sealedToken, userID: user.id) else {
            logger.warning("the stored Attio token of user \(user.id) opens with none of the configured keys; dropping it")
            try connections.delete(userID: user.id)
            return Dashboard(isConnected: false, notice: "Your Attio connection can no longer be read. Please connect Attio again.")
        }
        if needsReseal {
            try connections.updateSealedToken(userID: user.id, to: sealer.seal(token, userID: user.id))
            logger.info("re-sealed the Attio token of user \(user.id) under the current key")
        }
        let now = clock.now()
        if let recent = recentTasks.withLock({ $0[user.id] }), now.timeIntervalSince(recent.fetchedAt) < Self.tasksLifetime {
            dashboard.tasks = recent.tasks
            if recent.tasks.isEmpty { dashboard.notice = Self.noTasksNotice }
            return dashboard
        }
        if let until = pausedUntil.withLock({ $0[user.id] }), until > now {
            dashboard.notice = Self.rateLimitNotice(until: until, now: now)
            return dashboard
        }
        do {
            let (tasks, names) = try gated { () throws(AttioFailure) in
                let tasks = try client.tasks(token: token, timeout: Self.tasksTimeout)
                return (tasks, tasks.contains { !$0.assignees.isEmpty } ? memberNames(userID: user.id, token: token) : [:])
            }
            dashboard.tasks = tasks.map { task in
                let assignees = task.assignees.compactMap(\.referencedActorId).map { names[$0] ?? "Unknown member" }
                return Dashboard.Task(
                    text: task.contentPlaintext,
                    deadline: task.deadlineAt.map(Self.formatDeadline),
                    isCompleted: task.isCompleted,
                    assignees: assignees.isEmpty ? nil : assignees.joined(separator: ", "))
            }
            recentTasks.withLock { $0[user.id] = (dashboard.tasks, now) }
            if tasks.isEmpty { dashboard.notice = Self.noTasksNotice }
        } catch .unauthorized {
            logger.info("Attio refused the token of user \(user.id) (401); dropping it")
            try connections.delete(userID: user.id)
            forgetCaches(userID: user.id)
            return Dashboard(isConnected: false, notice: "Attio no longer accepts this connection (it was revoked or expired). Please connect Attio again.")
        } catch .rateLimited(let until) {
            pausedUntil.withLock { $0[user.id] = until }
            logger.warning("Attio rate-limited user \(user.id) until \(until)")
            dashboard.notice = Self.rateLimitNotice(until: until, now: clock.now())
        } catch .unavailable(let reason) {
            logger.warning("Attio tasks for user \(user.id) failed: \(reason)")
            dashboard.notice = Self.unavailableNotice
        } catch .noAnswer(let reason) {
            logger.warning("Attio tasks for user \(user.id) failed: \(reason)")
            dashboard.notice = Self.unavailableNotice
        } catch .busy {
            dashboard.notice = Self.slowNotice
        }
        return dashboard
    }

    /// Housekeeping: deletes OAuth states older than their lifetime, and
    /// forgets cached tasks, member names and pauses that have run out, so
    /// the caches hold only recent users however many come by.
    func removeExpiredData() throws {
        let now = clock.now()
        try states.deleteOlder(than: now.addingTimeInterval(-Self.stateLifetime))
        recentTasks.withLock { $0 = $0.filter { now.timeIntervalSince($0.value.fetchedAt) < Self.tasksLifetime } }
        memberNames.withLock { $0 = $0.filter { now.timeIntervalSince($0.value.fetchedAt) < Self.membersLifetime } }
        pausedUntil.withLock { $0 = $0.filter { $0.value > now } }
    }

    /// How many users the caches hold something for (tests).
    var cachedUsers: Int {
        Set(recentTasks.withLock { Array($0.keys) } + memberNames.withLock { Array($0.keys) }
            + pausedUntil.withLock { Array($0.keys) }).count
    }

    // MARK: - Helpers

    /// Member id → display name, from the cache or one bounded call. A
    /// failure leaves names unknown rather than failing the page.
    private func memberNames(userID: Int64, token: String) -> [String: String] {
        let now = clock.now()
        if let cached = memberNames.withLock({ $0[userID] }), now.timeIntervalSince(cached.fetchedAt) < Self.membersLifetime {
            return cached.names
        }
        do {
            let members = try client.members(token: token, timeout: Self.membersTimeout)
            let names = Dictionary(members.map { ($0.id.workspaceMemberId, $0.displayName) }) { first, _ in first }
            memberNames.withLock { $0[userID] = (names, now) }
            return names
        } catch {
            logger.warning("Attio workspace members for user \(userID) failed: \(Self.describe(error))")
            return [:]
        }
    }

    private func forgetCaches(userID: Int64) {
        memberNames.withLock { $0[userID] = nil }
        pausedUntil.withLock { $0[userID] = nil }
        recentTasks.withLock { $0[userID] = nil }
    }

    private static let noTasksNotice = "No tasks in this workspace yet."
    private static let slowNotice = "Attio is slow to answer right now. Your tasks will be back shortly."
    private static let unavailableNotice =
        "Attio is not answering properly right now, so your tasks cannot be shown. Please try again in a moment."

    private static func rateLimitNotice(until: Date, now: Date) -> String {
        let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        return "Attio asked Taskr to slow down. Your tasks will be back in about \(seconds) seconds."
    }

    /// `2023-01-01T15:00:00.000000000Z` → `2023-01-01 15:00 UTC`; a bare
    /// date stays as it is; anything else is shown as sent (escaped).
    static func formatDeadline(_ value: String) -> String {
        let parts = value.split(separator: "T", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 10, parts[1].count >= 5, value.hasSuffix("Z") else { return value }
        return "\(parts[0]) \(parts[1].prefix(5)) UTC"
    }

    private static func describe(_ failure: AttioFailure) -> String {
        switch failure {
        case .unauthorized: "401"
        case .rateLimited: "429"
        case .busy: "not called: too many calls under way, or Attio is in its quiet period"
        case let .unavailable(reason), let .noAnswer(reason): reason
        }
    }
}
