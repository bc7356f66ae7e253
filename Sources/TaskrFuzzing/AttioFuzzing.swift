import Dispatch
import Foundation
import HTTP
import Logging
import Sodium
import Synchronization

@testable import TaskrCore

/// Attio's answers, through the real ``AttioConnector``, ``TaskRefresher``,
/// ``TaskBoard`` and the home page, on a real SQLite file.
///
/// One harness per process (libFuzzer runs inputs one after another): the
/// clock jumps two hours per input, past every lease, back-off and
/// `Retry-After` cap, so each input is connected and refreshed anew.
final class AttioFuzzing: Sendable {
    static let shared = AttioFuzzing()

    private let attio = Answer()
    private let clock = SteppingClock()
    private let stores: Stores
    private let connector: AttioConnector
    private let refresher: TaskRefresher
    private let board: TaskBoard
    private let sealer = TokenSealer(current: SecretKey.generate(), previous: [])
    private let views: Views
    private let user: User

    private init() {
        var settings = AttioSettings()
        settings.clientID = "fuzz-client"
        settings.clientSecret = "fuzz-secret"
        settings.apiURL = URL(string: "http://127.0.0.1:9/")!
        let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
        let path = NSTemporaryDirectory() + "taskr-fuzz-\(getpid()).sqlite3"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        do {
            stores = TaskrDatabase.sqlite(try SQLiteDatabase(path: path)).stores
            user = try stores.users.create(username: Username(validating: "fuzz"), passwordHash: "", at: clock.now())!
        } catch {
            preconditionFailure("the fuzzing database at \(path) could not be made: \(error)")
        }
        let client = AttioClient(settings: settings, http: attio, clock: clock)
        let gate = AttioGate(maxConcurrentCalls: 1, clock: clock, logger: logger)
        refresher = TaskRefresher(
            client: client, gate: gate, sealer: sealer, copies: stores.taskCopies, connections: stores.attioConnections, clock: clock,
            random: SystemRandom(), logger: logger)
        board = TaskBoard(copies: stores.taskCopies, sealer: sealer, refresher: refresher, clock: clock, logger: logger)
        let webhooks = AttioWebhooks(
            settings: settings, client: client, gate: gate, sealer: sealer, connections: stores.attioConnections, copies: stores.taskCopies,
            refresher: refresher, clock: clock, securityLog: SecurityLog(logger: logger, digestKey: SecretKey.generate()), logger: logger)
        connector = AttioConnector(
            settings: settings, client: client, gate: gate, refresher: refresher, webhooks: webhooks, sealer: sealer,
            connections: stores.attioConnections,
            states: stores.oauthStates, clock: clock, random: SystemRandom(), logger: logger)
        views = Self.preparedViews.withLock { $0 } ?? Self.loadViewsBlocking()
    }

    /// Templates loaded ahead by ``prepare()``.
    private static let preparedViews = Mutex<Views?>(nil)

    /// Loads the templates from async code (the regression tests), where
    /// blocking a thread on a task could starve Swift's cooperative executor.
    static func prepare() async throws {
        let views = try await Views.bundled()
        preparedViews.withLock { $0 = views }
    }

    /// Every Attio endpoint answers 200 with `input`: the token exchange,
    /// `/v2/self`, `/v2/tasks` and `/v2/workspace_members`.
    func answer(_ input: [UInt8]) {
        attio.body.withLock { $0 = Data(input) }
        let now = clock.advance(by: 2 * 3600)

        let shownBoard: Board
        do {
            do {
                try connector.finishConnecting(user: user, code: "fuzz-code")
            } catch is AttioFailure {
                // Nothing usable came back: connect with a token of our own,
                // so the refresher still asks Attio for tasks.
                try stores.attioConnections.save(
                    AttioConnection(
                        userID: user.id, sealedToken: sealer.seal("fuzz-token", userID: user.id), workspaceID: nil, workspaceName: nil,
                        connectedAt: now))
            }
            try refresher.refreshDue()
            let stored = try stores.taskCopies.sealedCopy(userID: user.id)
            let state = TaskCopyState(
                userID: user.id, version: stored?.version ?? 0, takenAt: stored == nil ? nil : now, failure: nil, failedAt: nil, isDue: false)
            shownBoard = try board.board(
                for: user, connection: stores.attioConnections.connection(userID: user.id), copy: state, query: TaskQuery(show: .all))
        } catch {
            preconditionFailure("connecting, refreshing or showing failed with \(error), which is not an Attio failure")
        }
        let html = views.home(user: user, csrf: "csrf", board: shownBoard)
        let shown =
            [shownBoard.workspaceName ?? ""]
            + shownBoard.tasks.flatMap { task -> [String] in
                [task.text, task.deadline.map(TaskCopy.Task.formatDeadline) ?? "", task.assignees.joined(separator: ", ")]
            }
        // On bytes, as a browser reads them: `String.contains` compares
        // Characters and cannot see a `<` fused with a neighbouring mark.
        let page = Array(html.utf8)
        let markup = Set("<>&\"'".utf8)
        let template = Array(views.home(user: user, csrf: "csrf", board: .notConnected).utf8)
        for text in shown where text.utf8.contains(where: markup.contains) {
            let escaped = Array(ScalarHTMLEscaping.escape(text).utf8)
            precondition(page.contains(bytes: escaped), "Attio's text is not shown escaped")
            if !template.contains(bytes: Array(text.utf8)) {
                // Outside its escaped form: "Ad&" stands inside "Ad&amp;".
                precondition(!page.removing(bytes: escaped).contains(bytes: Array(text.utf8)), "Attio's text reached the page unescaped")
            }
        }

        let retry = AttioClient.retryAfter(String(decoding: input, as: UTF8.self), now: now)
        precondition(retry >= now && retry <= now.addingTimeInterval(3600), "Retry-After outside [now, now + 1 h]")
    }

    /// For libFuzzer's driver, which calls in from outside Swift concurrency.
    private static func loadViewsBlocking() -> Views {
        let loaded = Mutex<Views?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let views = try await Views.bundled()
            loaded.withLock { $0 = views }
            done.signal()
        }
        done.wait()
        return loaded.withLock { $0! }
    }
}

/// Every request gets 200 and the current input.
private final class Answer: HTTPClient {
    let body = Mutex(Data())

    func send(_ request: OutboundRequest) throws -> OutboundResponse {
        OutboundResponse(status: 200, headers: ["content-type": "application/json"], body: body.withLock { $0 })
    }
}

private final class SteppingClock: WallClock {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    func now() -> Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) -> Date {
        current.withLock {
            $0 += seconds
            return $0
        }
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` stands anywhere in these bytes.
    /// These bytes with every occurrence of `needle` cut out (left to right,
    /// not overlapping), a NUL left in its place so nothing joins across it.
    func removing(bytes needle: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty else { return self }
        var result: [UInt8] = []
        var index = startIndex
        while index < endIndex {
            if index + needle.count <= endIndex, self[index..<(index + needle.count)].elementsEqual(needle) {
                result.append(0)
                index += needle.count
            } else {
                result.append(self[index])
                index += 1
            }
        }
        return result
    }

    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
