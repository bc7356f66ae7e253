import Dispatch
import Foundation
import Logging
import Synchronization

/// Every call to Attio goes through here, so a slow Attio cannot hold every
/// FastCGI worker: at most `maxConcurrentCalls` requests talk to Attio at
/// once; after a call got no answer, nobody calls Attio for
/// ``pauseAfterNoAnswer``. (A 429's `Retry-After` is the user's, kept with
/// the connection in the database: ``AttioConnectionStore/pause(userID:until:)``.)
///
/// Per process, on purpose: slots protect this process's workers, and a
/// quiet period is this host's view of Attio.
final class AttioGate: Sendable {
    static let pauseAfterNoAnswer: TimeInterval = 10

    private let slots: DispatchSemaphore
    private let quietUntil = Mutex<Date>(.distantPast)
    private let waiting = Atomic<Int>(0)
    private let clock: any WallClock
    private let logger: Logger

    init(maxConcurrentCalls: Int, clock: any WallClock, logger: Logger) {
        slots = DispatchSemaphore(value: max(1, maxConcurrentCalls))
        self.clock = clock
        self.logger = logger
    }

    /// Runs one call to Attio.
    /// - Parameter wait: how long to wait for a free slot (seconds): none
    ///   for the home page, a little for the steps a person waits on.
    /// - Throws: ``AttioFailure/busy`` without calling: at once while Attio
    ///   is in its quiet period, or when no slot frees up within `wait`. A
    ///   call that gets no answer starts the quiet period.
    func call<T>(waiting wait: TimeInterval = 0, _ body: () throws(AttioFailure) -> T) throws(AttioFailure) -> T {
        guard quietUntil.withLock({ $0 }) <= clock.now(), takeSlot(waiting: wait) else { throw .busy }
        defer { slots.signal() }
        do {
            return try body()
        } catch .noAnswer(let reason) {
            logger.warning("Attio gave no answer (\(reason)): not calling it for \(Int(Self.pauseAfterNoAnswer)) s")
            quietUntil.withLock { $0 = clock.now().addingTimeInterval(Self.pauseAfterNoAnswer) }
            throw .noAnswer(reason: reason)
        }
    }

    /// How many calls are waiting for a slot right now.
    var callsWaitingForASlot: Int { waiting.load(ordering: .relaxed) }

    private func takeSlot(waiting wait: TimeInterval) -> Bool {
        if slots.wait(timeout: .now()) == .success { return true }
        guard wait > 0 else { return false }
        waiting.add(1, ordering: .relaxed)
        defer { waiting.subtract(1, ordering: .relaxed) }
        return slots.wait(timeout: .now() + .milliseconds(Int(wait * 1000))) == .success
    }
}
