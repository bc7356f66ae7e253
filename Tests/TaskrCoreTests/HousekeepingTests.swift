import Foundation
import Synchronization
import Testing

@testable import TaskrCore

/// Housekeeping runs at start and then again every interval: an expired
/// session is removed by a later run, and a failed run does not stop the next.
@Suite("Housekeeping repeats")
struct HousekeepingTests {
    @Test(.timeLimit(.minutes(1))) func aLaterRunRemovesWhatExpiredSinceTheFirst() async throws {
        let test = try await TestApp()
        _ = try loggedIn(test)
        let runs = Atomic<Int>(0)
        let app = try #require(test.app)
        let housekeeping = Housekeeping(every: .milliseconds(50), logger: test.logs.logger) {
            try app.removeExpiredData()
            runs.add(1, ordering: .relaxed)
        }
        defer { housekeeping.stop() }
        #expect(eventually { runs.load(ordering: .relaxed) >= 1 })
        #expect(try test.count("sessions") == 1, "the first run keeps a live session")
        test.clock.advance(by: 31 * 60)  // past the 30-minute idle expiry
        let before = runs.load(ordering: .relaxed)
        #expect(eventually { runs.load(ordering: .relaxed) > before + 1 })
        #expect(try test.count("sessions") == 0)
    }

    @Test(.timeLimit(.minutes(1))) func aFailedRunIsLoggedAndTheNextComesOnTime() async throws {
        let logs = LogCapture()
        let attempts = Atomic<Int>(0)
        struct Broken: Error {}
        let housekeeping = Housekeeping(every: .milliseconds(20), logger: logs.logger) {
            if attempts.add(1, ordering: .relaxed).newValue == 1 { throw Broken() }
        }
        #expect(eventually { attempts.load(ordering: .relaxed) >= 3 })
        housekeeping.stop()
        let stopped = attempts.load(ordering: .relaxed)
        #expect(logs.all.filter { $0.contains("housekeeping failed") }.count == 1)
        // stop() returned after the thread's last run: no run comes after it.
        #expect(attempts.load(ordering: .relaxed) == stopped)
    }
}
