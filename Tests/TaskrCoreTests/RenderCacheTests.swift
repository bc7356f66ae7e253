import Synchronization
import Testing

@testable import TaskrCore

@Suite("Render cache")
struct RenderCacheTests {
    @Test func rendersEachKeyOnceAndStaysBounded() {
        let cache = RenderCache<Int>(capacity: 3)
        let renders = Atomic<Int>(0)
        func page(_ key: Int) -> String {
            cache.page(for: key) { key in
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
}
