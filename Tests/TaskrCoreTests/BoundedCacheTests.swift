import Synchronization
import Testing

@testable import TaskrCore

@Suite("Bounded cache")
struct BoundedCacheTests {
    @Test func rendersEachKeyOnceAndStaysBounded() {
        let cache = BoundedCache<Int, String>(capacity: 3, shards: 1)
        let renders = Atomic<Int>(0)
        func page(_ key: Int) -> String {
            cache.value(for: key) { key in
                renders.add(1, ordering: .relaxed)
                return "page \(key)"
            }
        }
        #expect(page(1) == "page 1")
        #expect(page(1) == "page 1")
        #expect(page(2) == "page 2")
        #expect(renders.load(ordering: .relaxed) == 2)
        _ = page(3)
        _ = page(4)  // past capacity: starts afresh
        #expect(page(1) == "page 1")
        #expect(renders.load(ordering: .relaxed) == 5)
    }

    /// Spread over shards, many threads at once: every key renders to its
    /// own page, and the pages kept never exceed the capacity.
    @Test func shardedStaysBoundedAndCorrectUnderConcurrency() async {
        let cache = BoundedCache<Int, String>(capacity: 64, shards: 16)
        await withTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    (0..<2_000).allSatisfy { index in
                        let key = (index * 7 + worker) % 500
                        return cache.value(for: key) { "page \($0)" } == "page \(key)"
                    }
                }
            }
            for await allRight in group { #expect(allRight) }
        }
        #expect(cache.count <= 64)
        #expect(cache.count > 0)
    }
}
