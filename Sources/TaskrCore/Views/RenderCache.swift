import Synchronization

/// Remembers rendered pages by everything they are rendered from, so a page
/// seen again (a reload, a logged-in user's every visit) costs a lookup
/// instead of a template render. Bounded: past `capacity` entries it starts
/// afresh, so memory stays flat whatever the traffic.
///
/// Only for pages that are a pure function of their key: the key must hold
/// every input of the render.
final class RenderCache<Key: Hashable & Sendable>: Sendable {
    private let pages = Mutex<[Key: String]>([:])
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The page for `key`, rendered by `render` when not cached.
    func page(for key: Key, render: (Key) -> String) -> String {
        if let page = pages.withLock({ $0[key] }) { return page }
        let page = render(key)
        pages.withLock { pages in
            if pages.count >= capacity { pages.removeAll(keepingCapacity: true) }
            pages[key] = page
        }
        return page
    }
}
