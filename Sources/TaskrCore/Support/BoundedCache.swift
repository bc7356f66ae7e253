import Foundation

/// Remembers values by everything they are made from, so a value asked
/// for again (a rendered page on a reload, a task copy opened once per
/// version) costs a lookup instead of its making. Bounded: past its share
/// of `capacity` a shard starts afresh, so memory stays flat whatever the
/// traffic.
///
/// Only for values that are a pure function of their key: the key must
/// hold (or identify, as a copy's version does) every input.
///
/// Every worker looks up every logged-in page here, so the lock is split:
/// the key is hashed before any lock is taken, the hash picks one of
/// `shards` locks, and under it the dictionary compares only that hash
/// (and the key on a match). One lock hashing whole keys was the most
/// contended lock of the logged-in page (perf). The locks are `NSLock`s
/// (a plain pthread mutex): Swift's `Mutex` is a priority-inheriting futex
/// on Linux, whose every contended acquisition enters the kernel, and one
/// key's shard is contended by every worker showing that page.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let shards: [Shard]
    private let capacityPerShard: Int

    /// - Parameters:
    ///   - capacity: how many values are kept at most, over all shards.
    ///   - shards: how many locks the values are spread over.
    init(capacity: Int, shards: Int = 16) {
        precondition(capacity > 0 && shards > 0)
        self.shards = (0..<shards).map { _ in Shard() }
        capacityPerShard = max(1, capacity / shards)
    }

    /// The value for `key`, made by `make` when not cached.
    func value(for key: Key, make: (Key) throws -> Value) rethrows -> Value {
        let hashed = Hashed(key: key, hash: key.hashValue)
        let shard = shard(of: hashed)
        if let value = shard.value(for: hashed) { return value }
        let value = try make(key)
        shard.insert(value, for: hashed, capacity: capacityPerShard)
        return value
    }

    /// How many values are kept now (tests).
    var count: Int { shards.reduce(0) { $0 + $1.count } }

    private func shard(of hashed: Hashed) -> Shard {
        shards[Int(UInt(bitPattern: hashed.hash) % UInt(shards.count))]
    }

    /// One lock and its part of the values.
    private final class Shard: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Hashed: Value] = [:]  // only under `lock`

        func value(for key: Hashed) -> Value? {
            lock.lock()
            defer { lock.unlock() }
            return values[key]
        }

        func insert(_ value: Value, for key: Hashed, capacity: Int) {
            lock.lock()
            defer { lock.unlock() }
            if values.count >= capacity { values.removeAll(keepingCapacity: true) }
            values[key] = value
        }

        var count: Int {
            lock.lock()
            defer { lock.unlock() }
            return values.count
        }
    }

    /// A key with its hash computed once, outside any lock.
    private struct Hashed: Hashable, Sendable {
        let key: Key
        let hash: Int
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        static func == (lhs: Hashed, rhs: Hashed) -> Bool { lhs.hash == rhs.hash && lhs.key == rhs.key }
    }
}
