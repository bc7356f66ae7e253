import Dispatch
import Foundation
import HTTP
import Synchronization
import Testing

@testable import TaskrCore

@Suite("Password hashing service")
struct PasswordServiceTests {
    @Test func aHashBeyondTheConcurrencyLimitWaitsThenIsRefused() throws {
        let service = PasswordService(concurrentHashes: 1, permitWait: .milliseconds(100))
        // Hold the only permit, as a running hash would; the next one cannot start.
        try service.withPermit {
            do {
                _ = try service.hash("correct horse")
                Issue.record("a second hash ran while the only permit was taken")
            } catch {
                #expect(error is PasswordQueueFull)
            }
        }
        // The permit is back: hashing works again.
        #expect(try service.verify("correct horse", against: try service.hash("correct horse")))
    }

    /// A flood of log-ins must not park every worker: past the waiting
    /// bound the answer is 503 at once, not after the permit wait.
    @Test(.timeLimit(.minutes(1))) func beyondTheWaitingBoundA503ComesAtOnce() throws {
        let service = PasswordService(concurrentHashes: 1, maximumWaiting: 1, permitWait: .seconds(30))
        let release = DispatchSemaphore(value: 0)
        let running = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            _ = try? service.withPermit {
                running.signal()
                release.wait()
            }
        }
        running.wait()
        let waiterDone = Mutex(false)
        DispatchQueue.global().async(group: group) {
            _ = try? service.withPermit {}
            waiterDone.withLock { $0 = true }
        }
        // The waiter is in line once the count says so; then the third is refused at once.
        #expect(eventually { service.waitingOrRunning == 2 })
        do {
            _ = try service.hash("correct horse")
            Issue.record("a third hash was let in")
        } catch {
            #expect(error is PasswordQueueFull)
        }
        #expect(waiterDone.withLock { $0 } == false, "the waiter still waits: the 503 did not wait for it")
        release.signal()
        group.wait()
        #expect(waiterDone.withLock { $0 })
        #expect(service.waitingOrRunning == 0)
    }

    @Test func unknownUserStillCostsOneVerification() throws {
        let service = PasswordService(concurrentHashes: 2)
        let before = service.runs.load(ordering: .relaxed)
        #expect(try service.verify("anything", against: nil) == false)
        #expect(service.runs.load(ordering: .relaxed) == before + 1)
    }
}
