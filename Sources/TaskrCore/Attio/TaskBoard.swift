import Foundation
import Logging

/// The Attio part of the home page, from the task copy alone: it never
/// calls Attio. A copy older than ``freshness`` (30 s) falls due as
/// the page is shown (one write per freshness interval at most) and the
/// refresher renews it; the page shows what there is meanwhile.
///
/// Copies are opened (unsealed, decoded, sorted) once per process and
/// version: the page read brings only the copy's version, so a page whose
/// copy is open already costs no second query.
final class TaskBoard: Sendable {
    private let copies: any TaskCopyStore
    private let sealer: TokenSealer
    private let refresher: TaskRefresher
    private let clock: any WallClock
    private let logger: Logger
    /// A copy older than this falls due when its page is shown.
    let freshness: TimeInterval
    /// The same while a webhook is live (SPEC: 15 minutes).
    static let freshnessWithWebhook: TimeInterval = 15 * 60
    private let lists = BoundedCache<ListKey, TaskList?>(capacity: 512)

    private struct ListKey: Hashable, Sendable {
        let userID: Int64
        let version: Int64
    }

    init(
        copies: any TaskCopyStore, sealer: TokenSealer, refresher: TaskRefresher, freshness: TimeInterval = TaskRefresher.freshness,
        clock: any WallClock, logger: Logger
    ) {
        self.copies = copies
        self.freshness = freshness
        self.sealer = sealer
        self.refresher = refresher
        self.clock = clock
        self.logger = logger
    }

    /// What the page shows for `user`, from what the page read brought.
    func board(for user: User, connection: AttioConnection?, copy: TaskCopyState?, query: TaskQuery) throws -> Board {
        guard let connection else { return .notConnected }
        let now = clock.now()
        let takenAt = copy?.takenAt
        // With a live webhook, events make the copy due; age alone only every 15 minutes.
        let freshness = connection.hasLiveWebhook ? Self.freshnessWithWebhook : freshness
        if copy?.isDue != true, takenAt.map({ now.timeIntervalSince($0) >= freshness }) ?? true {
            if try copies.markStale(userID: user.id, at: now) { refresher.wake() }
        }
        var board = Board(isConnected: true, workspaceName: connection.workspaceName, query: query)
        board.webhook = connection.webhookStatus
        board.failure = copy?.failure  // a refresh that succeeds clears it
        guard let copy, let takenAt, copy.version != 0 else {
            board.isFetching = true
            return board
        }
        guard let list = try list(userID: user.id, version: copy.version) else {
            board.isUnreadable = true
            board.failure = .unknownKey
            return board
        }
        board.version = list.version
        board.workspaceName = list.workspaceName ?? connection.workspaceName
        board.updated = Self.age(now.timeIntervalSince(takenAt))
        board.isTruncated = list.isTruncated
        board.memberUnknown = query.assignee == .me && list.memberID == nil
        board.list = list  // the page's tasks are picked from it only when the page is rendered
        return board
    }

    /// The copy at `version`, opened once per process; nil when it cannot
    /// be opened here (a refresh replaced it meanwhile, or it is sealed
    /// under a key this process does not hold).
    private func list(userID: Int64, version: Int64) throws -> TaskList? {
        try lists.value(for: ListKey(userID: userID, version: version)) { key in
            guard let stored = try copies.sealedCopy(userID: key.userID), stored.version == key.version else { return nil }
            guard let (bytes, _) = sealer.open(stored.sealed, userID: key.userID, for: .taskCopy), let copy = TaskCopy.decoded(bytes) else {
                logger.warning("the task copy of user \(key.userID) does not open with this process's keys")
                return nil
            }
            return TaskList(copy, version: stored.version)
        }
    }

    /// "just now", "12 seconds ago", "1 minute ago", "3 hours ago", "2 days ago".
    static func age(_ seconds: TimeInterval) -> String {
        let seconds = max(0, Int(seconds))
        func plural(_ count: Int, _ unit: String) -> String { "\(count) \(unit)\(count == 1 ? "" : "s") ago" }
        switch seconds {
        case ..<2: return "just now"
        case ..<60: return plural(seconds, "second")
        case ..<3600: return plural(seconds / 60, "minute")
        case ..<86400: return plural(seconds / 3600, "hour")
        default: return plural(seconds / 86400, "day")
        }
    }
}

/// What the logged-in home page shows of Attio: one page of the copy.
///
/// Hashable without its tasks: the copy's ``version`` and the ``query``
/// decide which tasks they are, so the page cache's key stays small, and
/// they are picked from the opened copy only when a page is rendered (a
/// page served from the cache picks none).
struct Board: Sendable, Hashable {
    var isConnected: Bool
    var workspaceName: String?
    var query = TaskQuery()
    /// No copy yet: the page says the tasks are being fetched and reloads itself.
    var isFetching = false
    /// A copy this process cannot open (sealed under a key it does not hold).
    var isUnreadable = false
    var version: Int64 = 0
    /// How old the copy is, in words ("12 seconds ago").
    var updated: String?
    /// Why the last refresh failed, if it failed after the copy was taken.
    var failure: RefreshFailure?
    var isTruncated = false
    /// `?assignee=me`, but Attio did not say who connected.
    var memberUnknown = false
    /// Whether changes made in Attio arrive by webhook (nil: none asked for).
    var webhook: AttioConnection.WebhookStatus?
    /// The opened copy the tasks come from (nil: none to show).
    var list: TaskList?

    /// Every task the query selects, over every page.
    private var selected: [TaskCopy.Task] { list?.tasks(query) ?? [] }
    /// How many tasks the query selects, over every page.
    var total: Int { selected.count }
    var pageCount: Int { max(1, (total + TaskQuery.pageSize - 1) / TaskQuery.pageSize) }
    /// This page's tasks.
    var tasks: [TaskCopy.Task] {
        let selected = selected
        let start = (query.page - 1) * TaskQuery.pageSize
        return start < selected.count ? Array(selected[start..<min(selected.count, start + TaskQuery.pageSize)]) : []
    }

    static let notConnected = Board(isConnected: false)

    static func == (a: Board, b: Board) -> Bool {
        (a.isConnected, a.workspaceName, a.query, a.isFetching) == (b.isConnected, b.workspaceName, b.query, b.isFetching)
            && (a.version, a.updated, a.failure, a.isUnreadable, a.webhook) == (b.version, b.updated, b.failure, b.isUnreadable, b.webhook)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(isConnected)
        hasher.combine(workspaceName)
        hasher.combine(query)
        hasher.combine(isFetching)
        hasher.combine(version)
        hasher.combine(updated)
        hasher.combine(failure)
        hasher.combine(isUnreadable)
        hasher.combine(webhook)
    }
}
