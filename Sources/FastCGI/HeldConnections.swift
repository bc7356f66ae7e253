import Foundation
import Synchronization

/// The connections no worker holds: accepted ones whose first request has
/// not arrived yet, and kept ones (`fastcgi_keep_conn on`) between requests.
///
/// Each waits in the workers' epoll set with a deadline: a new connection
/// gets ``ConnectionLimits/readTimeout`` to start its request, a kept one
/// ``ConnectionLimits/idleTimeout`` for its next. ``closeExpired(at:)``
/// closes the late ones, and holding one more than
/// ``ConnectionLimits/maximumIdle`` closes the one that has waited longest,
/// so silent or idle peers cannot exhaust file descriptors.
///
/// A worker woken for a connection ``claim(_:)``s it by token: the fd and a
/// generation, so an event for a connection this registry has closed
/// (whose number the kernel may have handed to a newer one) is ignored.
final class HeldConnections: Sendable {
    private struct Entry {
        var generation: UInt32
        var since: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Int32: Entry] = [:]
        var nextGeneration: UInt32 = 1
    }

    private let state = Mutex(State())
    private let epoll: WorkerEpoll
    private let maximum: Int
    /// Connections closed for the cap or a deadline so far (tests, logs).
    let closedByLimits = Atomic<Int>(0)

    init(epoll: WorkerEpoll, maximum: Int) {
        precondition(maximum > 0)
        self.epoll = epoll
        self.maximum = maximum
    }

    /// How many are held right now.
    var count: Int { state.withLock { $0.entries.count } }

    /// Holds `connection` until its next request or `timeout`; false when
    /// the kernel refused to watch it (the caller closes it then).
    func hold(_ connection: Int32, for timeout: Duration) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            if state.entries.count >= maximum, let oldest = state.entries.min(by: { $0.value.since < $1.value.since })?.key {
                closeLocked(oldest, in: &state)
            }
            let generation = state.nextGeneration
            // Generation 0 is the listening socket's and the wake pipe's.
            state.nextGeneration = generation == UInt32.max ? 1 : generation + 1
            guard epoll.arm(connection, token: UInt64(generation) << 32 | WorkerEpoll.token(of: connection)) else { return false }
            state.entries[connection] = Entry(generation: generation, since: now, deadline: now + timeout)
            return true
        }
    }

    /// The connection an event's token names, now the caller's; nil when it
    /// was closed meanwhile (or the token is not a held connection's).
    func claim(_ token: UInt64) -> Int32? {
        let connection = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        let generation = UInt32(truncatingIfNeeded: token >> 32)
        return state.withLock { state in
            guard state.entries[connection]?.generation == generation else { return nil }
            state.entries[connection] = nil
            return connection
        }
    }

    /// Closes every connection past its deadline; returns how many.
    @discardableResult
    func closeExpired(at now: ContinuousClock.Instant = .now) -> Int {
        state.withLock { state in
            let expired = state.entries.filter { $0.value.deadline <= now }.keys
            for connection in expired { closeLocked(connection, in: &state) }
            return expired.count
        }
    }

    /// Closes them all (at shutdown).
    func closeAll() {
        state.withLock { state in
            for connection in Array(state.entries.keys) { closeLocked(connection, in: &state) }
        }
    }

    private func closeLocked(_ connection: Int32, in state: inout State) {
        state.entries[connection] = nil
        epoll.remove(connection)
        close(connection)
        closedByLimits.add(1, ordering: .relaxed)
    }
}

/// How long and how many connections may wait without a worker.
public struct ConnectionLimits: Sendable, Equatable {
    /// How long a peer may take to send its request's next bytes (and to
    /// read ours): a silent peer frees its worker, or its place, after this.
    public var readTimeout: Duration
    /// How long a kept connection may wait for its next request. Longer
    /// than nginx's upstream `keepalive_timeout` (60 s), so that nginx,
    /// which knows, normally closes first.
    public var idleTimeout: Duration
    /// How many connections may wait at once; one more closes the one that
    /// has waited longest.
    public var maximumIdle: Int

    public init(readTimeout: Duration, idleTimeout: Duration, maximumIdle: Int) {
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.maximumIdle = maximumIdle
    }

    /// 5 s to read, 75 s idle, and at most half the open-file limit (at
    /// most 512) waiting: nginx keeps 16 per worker process in the shipped
    /// configs.
    public static var standard: ConnectionLimits {
        var limit = rlimit()
        let files = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : 1024
        return ConnectionLimits(readTimeout: .seconds(5), idleTimeout: .seconds(75), maximumIdle: max(16, min(512, files / 2)))
    }
}
