import Synchronization

/// Remembers rendered pages by everything they are rendered from, so a page
/// seen again (a reload, a logged-in user's every visit) costs a lookup
/// instead of a template render. Bounded: past its share of `capacity` a
/// shard starts afresh, so memory stays flat whatever the traffic.
///
/// Only for pages that are a pure function of their key: the key must hold
/// every input of the render.
///
/// Every worker looks up every logged-in page here, so the lock is split:
/// the key is hashed before any lock is taken, the hash picks one of
/// `shards` locks, and under it the dictionary compares only that hash
/// (and the key on a match). One lock hashing whole keys was the most
/// contended lock of the logged-in page (perf).
final class RenderCache<Key: Hashable & Sendable>: Sendable {
    private let shards: [Shard]
    private let capacityPerShard: Int

    /// - Parameters:
    ///   - capacity: how many pages are kept at most, over all shards.
    ///   - shards: how many locks the pages are spread over.
    init(capacity: Int, shards: Int = 16) {
        precondition(capacity > 0 && shards > 0)
        self.shards = (0..<shards).map { _ in Shard() }
        capacityPerShard = max(1, capacity / shards)
    }

    /// The page for `key`, rendered by `render` when not cached.
    func page(for key: Key, render: (Key) -> String) -> String {
        let hashed = Hashed(key: key, hash: key.hashValue)
        let shard = shards[Int(UInt(bitPattern: hashed.hash) % UInt(shards.count))]
        if let page = shard.pages.withLock({ $0[hashed] }) { return page }
        let page = render(key)
        shard.pages.withLock { pages in
            if pages.count >= capacityPerShard { pages.removeAll(keepingCapacity: true) }
            pages[hashed] = page
        }
        return page
    }

    /// How many pages are kept now (tests).
    var count: Int { shards.reduce(0) { $0 + $1.pages.withLock(\.count) } }

    private final class Shard: Sendable {
        let pages = Mutex<[Hashed: String]>([:])
    }

    /// A key with its hash computed once, outside any lock.
    private struct Hashed: Hashable, Sendable {
        let key: Key
        let hash: Int
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        static func == (lhs: Hashed, rhs: Hashed) -> Bool { lhs.hash == rhs.hash && lhs.key == rhs.key }
    }
}
