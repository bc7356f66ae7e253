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
///
/// Every request takes a connection out and most put one back, on every
/// worker: the registry is split in shards by fd number, each with its own
/// plain mutex, so workers rarely meet (one `Mutex` for all measured 2.5x
/// slower pages on 2 cores: contended, it waits in the kernel).
final class HeldConnections: Sendable {
    private struct Entry {
        var generation: UInt32
        var since: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        /// Kept after a request (else: new, its first request not read yet).
        var kept: Bool
    }

    private final class Shard: @unchecked Sendable {
        let lock = NSLock()
        // Guarded by `lock`.
        var entries: [Int32: Entry] = [:]
    }

    private static let shardCount = 16
    private let shards: [Shard] = (0..<HeldConnections.shardCount).map { _ in Shard() }
    private let generations = Atomic<UInt32>(0)
    private let held = Atomic<Int>(0)
    private let epoll: WorkerEpoll
    private let maximum: Int

    init(epoll: WorkerEpoll, maximum: Int) {
        precondition(maximum > 0)
        self.epoll = epoll
        self.maximum = maximum
    }

    /// How many are held right now.
    var count: Int { held.load(ordering: .relaxed) }

    private func shard(_ connection: Int32) -> Shard { shards[Int(connection) & (Self.shardCount - 1)] }

    /// Holds `connection` until its next request or `timeout`; false when
    /// the kernel refused to watch it (the caller closes it then). `kept`:
    /// it has answered a request before (else it is new).
    func hold(_ connection: Int32, for timeout: Duration, kept: Bool) -> Bool {
        if held.add(1, ordering: .relaxed).newValue > maximum { closeOldest() }
        var generation = generations.add(1, ordering: .relaxed).newValue
        // Generation 0 is the listening socket's and the wake pipe's.
        if generation == 0 { generation = generations.add(1, ordering: .relaxed).newValue }
        let now = ContinuousClock.now
        let shard = shard(connection)
        shard.lock.lock()
        defer { shard.lock.unlock() }
        // Armed under the lock, after the entry is in: its event can only
        // come once a claim can find it.
        shard.entries[connection] = Entry(generation: generation, since: now, deadline: now + timeout, kept: kept)
        guard epoll.arm(connection, token: UInt64(generation) << 32 | WorkerEpoll.token(of: connection)) else {
            shard.entries[connection] = nil
            held.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// The connection an event's token names, now the caller's; nil when it
    /// was closed meanwhile (or the token is not a held connection's).
    func claim(_ token: UInt64) -> Int32? {
        let connection = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        let generation = UInt32(truncatingIfNeeded: token >> 32)
        let shard = shard(connection)
        shard.lock.lock()
        defer { shard.lock.unlock() }
        guard shard.entries[connection]?.generation == generation else { return nil }
        shard.entries[connection] = nil
        held.subtract(1, ordering: .relaxed)
        return connection
    }

    /// Closes every connection past its deadline; returns how many.
    @discardableResult
    func closeExpired(at now: ContinuousClock.Instant = .now) -> Int {
        var closed = 0
        for shard in shards {
            shard.lock.lock()
            for (connection, entry) in shard.entries where entry.deadline <= now {
                closeLocked(connection, in: shard)
                closed += 1
            }
            shard.lock.unlock()
        }
        return closed
    }

    /// Closes them all (at shutdown).
    func closeAll() {
        closeExpired(at: .now + .seconds(86_400 * 365))
    }

    /// Closes the kept connections (a stopping server's, once the web
    /// server had its time to close them). New ones are left to their
    /// first request or their deadline.
    func closeKept() {
        for shard in shards {
            shard.lock.lock()
            for (connection, entry) in shard.entries where entry.kept {
                closeLocked(connection, in: shard)
            }
            shard.lock.unlock()
        }
    }

    /// Past the cap: closes the connection that has waited longest.
    private func closeOldest() {
        var oldest: (connection: Int32, generation: UInt32, since: ContinuousClock.Instant)?
        for shard in shards {
            shard.lock.lock()
            for (connection, entry) in shard.entries where oldest == nil || entry.since < oldest!.since {
                oldest = (connection, entry.generation, entry.since)
            }
            shard.lock.unlock()
        }
        guard let oldest else { return }
        let shard = shard(oldest.connection)
        shard.lock.lock()
        // Claimed or closed meanwhile: then it is no longer waiting anyway.
        if shard.entries[oldest.connection]?.generation == oldest.generation { closeLocked(oldest.connection, in: shard) }
        shard.lock.unlock()
    }

    private func closeLocked(_ connection: Int32, in shard: Shard) {
        shard.entries[connection] = nil
        held.subtract(1, ordering: .relaxed)
        epoll.remove(connection)
        close(connection)
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
