import Foundation
import Synchronization
import Testing
import ThreadLocal

@Suite("ThreadLocal", .serialized)
struct ThreadLocalTests {
    /// Counts the values alive, as connections would be open.
    final class Tracked: @unchecked Sendable {
        static let alive = Atomic(0)
        let thread = pthread_self()
        init() { Self.alive.add(1, ordering: .relaxed) }
        deinit { Self.alive.subtract(1, ordering: .relaxed) }
    }

    /// Takes a value on each of `count` threads, which stay alive until
    /// `release` is called; returns the values seen, one per thread.
    private func onThreads(_ count: Int, _ local: ThreadLocal<Tracked>) -> (seen: [ObjectIdentifier], release: () -> Void) {
        let ready = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let seen = Mutex<[ObjectIdentifier]>([])
        for _ in 0..<count {
            // Weakly: a worker thread does not keep its database alive.
            Thread.detachNewThread { [weak local] in
                do {
                    let first = try? local?.value()
                    let second = try? local?.value()
                    // One value per thread: the same object on the second use.
                    if let first, first === second, pthread_equal(first.thread, pthread_self()) != 0 {
                        seen.withLock { $0.append(ObjectIdentifier(first)) }
                    }
                }  // the thread holds its value only through the slot now
                ready.signal()
                release.wait()
            }
        }
        for _ in 0..<count { ready.wait() }
        return (seen.withLock { $0 }, { for _ in 0..<count { release.signal() } })
    }

    @Test func eachThreadHasItsOwnValueAndTheOwnerReleasesThemAll() {
        let before = Tracked.alive.load(ordering: .relaxed)
        var local: ThreadLocal<Tracked>? = ThreadLocal { Tracked() }
        let (seen, release) = onThreads(4, local!)
        defer { release() }
        #expect(Set(seen).count == 4)
        #expect(local?.count == 4)
        #expect(Tracked.alive.load(ordering: .relaxed) - before == 4)
        weak let owner = local
        local = nil
        #expect(owner == nil)
        #expect(Tracked.alive.load(ordering: .relaxed) == before)
    }

    @Test func aThreadThatEndsReleasesItsValue() async throws {
        let local = ThreadLocal { Tracked() }
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = try? local.value()
            done.signal()
        }
        thread.start()
        done.wait()
        // The destructor runs as the thread exits, just after the signal.
        let deadline = Date().addingTimeInterval(5)
        while local.count > 0, Date() < deadline { usleep(1_000) }
        #expect(local.count == 0)
    }

    @Test func dropMakesANewValueOnTheNextUse() throws {
        let local = ThreadLocal { Tracked() }
        let first = try local.value()
        local.drop()
        #expect(local.existingValue == nil)
        #expect(try local.value() !== first)
    }

    @Test func aFailedMakeLeavesTheSlotEmpty() {
        struct Refused: Error {}
        let local = ThreadLocal<Tracked> { throw Refused() }
        #expect(throws: Refused.self) { try local.value() }
        #expect(local.existingValue == nil && local.count == 0)
    }
}
