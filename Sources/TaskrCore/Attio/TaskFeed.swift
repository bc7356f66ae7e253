import Foundation
import Logging
import Synchronization

/// The Attio part of the home page: the user's tasks (reused for
/// ``tasksLifetime``, so a reload does not call Attio again) with their
/// assignees' names (reused for ``membersLifetime``), or a notice saying why
/// there are none. Only a 401 drops the token.
final class TaskFeed: Sendable {
    static let membersLifetime: TimeInterval = 10 * 60
    static let tasksLifetime: TimeInterval = 10
    /// The dashboard's calls all fit well inside SPEC's 15 s.
    static let tasksTimeout: TimeInterval = 8
    static let membersTimeout: TimeInterval = 4

    private let client: AttioClient
    private let gate: AttioGate
    private let sealer: TokenSealer
    private let connections: any AttioConnectionStore
    private let clock: any WallClock
    private let logger: Logger
    private let recentTasks = Mutex<[Int64: (tasks: [Dashboard.Task], fetchedAt: Date)]>([:])
    private let memberNames = Mutex<[Int64: (names: [String: String], fetchedAt: Date)]>([:])

    init(
        client: AttioClient, gate: AttioGate, sealer: TokenSealer, connections: any AttioConnectionStore,
        clock: any WallClock, logger: Logger
    ) {
        self.client = client
        self.gate = gate
        self.sealer = sealer
        self.connections = connections
        self.clock = clock
        self.logger = logger
    }

    /// The user's Attio state for the home page, from the `connection` read
    /// with the session. Never throws for Attio's failures: they become a
    /// notice, and only a 401 drops the token.
    func dashboard(for user: User, connection: AttioConnection?) throws -> Dashboard {
        guard let connection else { return .notConnected }
        let token: String
        switch try openToken(of: user, connection) {
        case let .opened(opened): token = opened
        case let .unreadable(notice): return Dashboard(isConnected: false, notice: notice)
        }
        var dashboard = Dashboard(isConnected: true, workspaceName: connection.workspaceName)
        let now = clock.now()
        if let recent = recentTasks.withLock({ $0[user.id] }), now.timeIntervalSince(recent.fetchedAt) < Self.tasksLifetime {
            dashboard.tasks = recent.tasks
            if recent.tasks.isEmpty { dashboard.notice = .noTasks }
            return dashboard
        }
        if let until = connection.pausedUntil, until > now {
            dashboard.notice = .rateLimited(seconds: Self.seconds(until: until, now: now))
            return dashboard
        }
        do {
            dashboard.tasks = try fetchTasks(userID: user.id, token: token)
            recentTasks.withLock { $0[user.id] = (dashboard.tasks, now) }
            if dashboard.tasks.isEmpty { dashboard.notice = .noTasks }
        } catch .unauthorized {
            logger.info("Attio refused the token of user \(user.id) (401); dropping it")
            try connections.delete(userID: user.id)
            forget(userID: user.id)
            return Dashboard(isConnected: false, notice: .tokenRefused)
        } catch .rateLimited(let until) {
            try connections.pause(userID: user.id, until: until)
            logger.warning("Attio rate-limited user \(user.id) until \(until)")
            dashboard.notice = .rateLimited(seconds: Self.seconds(until: until, now: clock.now()))
        } catch .busy {
            dashboard.notice = .slow
        } catch {
            logger.warning("Attio tasks for user \(user.id) failed: \(error.summary)")
            dashboard.notice = .unavailable
        }
        return dashboard
    }

    /// Forgets what is cached for the user (a new or dropped token).
    func forget(userID: Int64) {
        memberNames.withLock { $0[userID] = nil }
        recentTasks.withLock { $0[userID] = nil }
    }

    /// Forgets cached tasks and member names that have run out, so the
    /// caches hold only recent users however many come by (housekeeping).
    func removeExpired() {
        let now = clock.now()
        recentTasks.withLock { $0 = $0.filter { now.timeIntervalSince($0.value.fetchedAt) < Self.tasksLifetime } }
        memberNames.withLock { $0 = $0.filter { now.timeIntervalSince($0.value.fetchedAt) < Self.membersLifetime } }
    }

    /// The users the caches hold something for (tests).
    var cachedUsers: Set<Int64> {
        Set(recentTasks.withLock { Array($0.keys) } + memberNames.withLock { Array($0.keys) })
    }

    private enum StoredToken {
        case opened(String)
        /// Not readable here; the notice says what became of it.
        case unreadable(AttioNotice)
    }

    /// The plaintext token, re-sealed under the current key when an older
    /// one sealed it. A token under a key id this process does not hold is
    /// kept (a key change may be rolling out and another process hold that
    /// key); one our keys should open but do not (tampered, copied to
    /// another user) is dropped.
    private func openToken(of user: User, _ connection: AttioConnection) throws -> StoredToken {
        guard sealer.knowsKey(of: connection.sealedToken) else {
            logger.warning(
                "the stored Attio token of user \(user.id) is sealed under key \(connection.sealedToken.keyID), which this process does not hold; keeping it"
            )
            return .unreadable(.tokenUnderUnknownKey)
        }
        guard let (token, needsReseal) = sealer.open(connection.sealedToken, userID: user.id) else {
            logger.warning("the stored Attio token of user \(user.id) opens with none of the configured keys; dropping it")
            try connections.delete(userID: user.id)
            return .unreadable(.tokenUnreadable)
        }
        if needsReseal {
            try connections.updateSealedToken(userID: user.id, to: sealer.seal(token, userID: user.id))
            logger.info("re-sealed the Attio token of user \(user.id) under the current key")
        }
        return .opened(token)
    }

    /// The tasks, ready to show, through the gate (the home page never waits for a slot).
    private func fetchTasks(userID: Int64, token: String) throws(AttioFailure) -> [Dashboard.Task] {
        let (tasks, names) = try gate.call(for: userID) { () throws(AttioFailure) in
            let tasks = try client.tasks(token: token, timeout: Self.tasksTimeout)
            return (tasks, tasks.contains { !$0.assignees.isEmpty } ? memberNames(userID: userID, token: token) : [:])
        }
        return tasks.map { task in
            let assignees = task.assignees.compactMap(\.referencedActorId).map { names[$0] ?? "Unknown member" }
            return Dashboard.Task(
                text: task.contentPlaintext,
                deadline: task.deadlineAt.map(Self.formatDeadline),
                isCompleted: task.isCompleted,
                assignees: assignees.isEmpty ? nil : assignees.joined(separator: ", "))
        }
    }

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
            logger.warning("Attio workspace members for user \(userID) failed: \(error.summary)")
            return [:]
        }
    }

    private static func seconds(until: Date, now: Date) -> Int {
        max(1, Int(until.timeIntervalSince(now).rounded(.up)))
    }

    /// `2023-01-01T15:00:00.000000000Z` → `2023-01-01 15:00 UTC`; a bare
    /// date stays as it is; anything else is shown as sent (escaped).
    static func formatDeadline(_ value: String) -> String {
        let parts = value.split(separator: "T", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 10, parts[1].count >= 5, value.hasSuffix("Z") else { return value }
        return "\(parts[0]) \(parts[1].prefix(5)) UTC"
    }
}
