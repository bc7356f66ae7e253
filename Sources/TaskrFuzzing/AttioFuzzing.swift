import Dispatch
import Foundation
import HTTP
import Logging
import Sodium
import Synchronization

@testable import TaskrCore

/// Attio's answers, through the real ``AttioConnector``, ``TaskFeed`` and the home page.
///
/// One harness per process (libFuzzer runs inputs one after another): the
/// service keeps its caches, so the clock jumps two hours per input, past
/// every cache lifetime and `Retry-After` cap, and each input is fetched anew.
final class AttioFuzzing: Sendable {
    static let shared = AttioFuzzing()

    private let attio = Answer()
    private let clock = SteppingClock()
    private let connections = MemoryConnections()
    private let connector: AttioConnector
    private let feed: TaskFeed
    private let sealer = TokenSealer(current: SecretKey.generate(), previous: [])
    private let views: Views
    private let user = User(id: 1, username: "fuzz", passwordHash: "")

    private init() {
        var settings = AttioSettings()
        settings.clientID = "fuzz-client"
        settings.clientSecret = "fuzz-secret"
        settings.apiURL = URL(string: "http://127.0.0.1:9/")!
        let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
        let client = AttioClient(settings: settings, http: attio, clock: clock)
        let gate = AttioGate(maxConcurrentCalls: 1, clock: clock, logger: logger)
        feed = TaskFeed(client: client, gate: gate, sealer: sealer, connections: connections, clock: clock, logger: logger)
        connector = AttioConnector(
            settings: settings, client: client, gate: gate, feed: feed, sealer: sealer, connections: connections,
            states: MemoryStates(), clock: clock, random: SystemRandom(), logger: logger)
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

        do {
            try connector.finishConnecting(user: user, code: "fuzz-code")
        } catch is AttioFailure {
            // Nothing usable came back: connect with a token of our own, so
            // the dashboard still asks Attio for tasks.
            connections.store(
                AttioConnection(
                    userID: user.id, sealedToken: sealer.seal("fuzz-token", userID: user.id),
                    workspaceID: nil, workspaceName: nil, connectedAt: now))
        } catch {
            preconditionFailure("connecting failed with \(error), which is not an Attio failure")
        }

        let dashboard: Dashboard
        do {
            dashboard = try feed.dashboard(for: user, connection: connections.connection(userID: user.id))
        } catch {
            preconditionFailure("the dashboard threw \(error)")
        }
        let html = views.home(user: user, csrf: "csrf", attio: dashboard)
        let shown = [dashboard.workspaceName ?? ""] + dashboard.tasks.flatMap { [$0.text, $0.deadline ?? "", $0.assignees ?? ""] }
        // On bytes, as a browser reads them: `String.contains` compares
        // Characters and cannot see a `<` fused with a neighbouring mark.
        let page = Array(html.utf8)
        let markup = Set("<>&\"'".utf8)
        let template = Array(views.home(user: user, csrf: "csrf", attio: .notConnected).utf8)
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

/// The in-memory twin of the connection store.
private final class MemoryConnections: AttioConnectionStore {
    private let rows = Mutex<[Int64: AttioConnection]>([:])

    func store(_ connection: AttioConnection) { rows.withLock { $0[connection.userID] = connection } }
    func save(_ connection: AttioConnection) throws { store(connection) }
    func connection(userID: Int64) throws -> AttioConnection? { rows.withLock { $0[userID] } }
    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws {
        rows.withLock { $0[userID]?.sealedToken = sealed }
    }
    func pause(userID: Int64, until: Date) throws { rows.withLock { $0[userID]?.pausedUntil = until } }
    func delete(userID: Int64) throws { _ = rows.withLock { $0.removeValue(forKey: userID) } }
    func all() throws -> [AttioConnection] { rows.withLock { $0.values.sorted { $0.userID < $1.userID } } }
    func replaceSealedToken(userID: Int64, _ old: TokenSealer.Sealed, with new: TokenSealer.Sealed) throws -> Bool {
        rows.withLock { rows in
            guard rows[userID]?.sealedToken == old else { return false }
            rows[userID]?.sealedToken = new
            return true
        }
    }
}

/// The in-memory twin of the OAuth state store (unused by this harness).
private final class MemoryStates: OAuthStateStore {
    func insert(stateHash: [UInt8], sessionHash: [UInt8], at date: Date) throws {}
    func consume(stateHash: [UInt8]) throws -> (sessionHash: [UInt8], createdAt: Date)? { nil }
    func deleteOlder(than date: Date) throws {}
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
