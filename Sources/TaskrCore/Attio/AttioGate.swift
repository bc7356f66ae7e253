import Dispatch
import Foundation
import Logging
import Synchronization

/// Every call to Attio goes through here, so a slow Attio cannot hold every
/// FastCGI worker: at most `maxConcurrentCalls` requests talk to Attio at
/// once. (A 429's `Retry-After` is the user's, kept with the connection in
/// the database: ``AttioConnectionStore/pause(userID:until:)``.)
///
/// A circuit breaker that follows evidence, not one slow answer: the quiet
/// period (nobody calls Attio for ``pauseAfterNoAnswer``) opens only after
/// ``noAnswersToOpen`` calls in a row got no answer, from at least two
/// different users, so one user's hung call (or a 5xx, which is an answer)
/// never refuses another user's. After the quiet period one probe goes
/// through (half-open) while the others are refused; an answer to it closes
/// the breaker, no answer opens it again. Three is the low end of what
/// breakers use (Hystrix-style thresholds are 3–5 consecutive failures):
/// Attio normally answers every call, so three silent ones from different
/// users are evidence that it is Attio, not one account, that is down.
///
/// Per process, on purpose: slots protect this process's workers, and a
/// quiet period is this host's view of Attio.
final class AttioGate: Sendable {
    static let pauseAfterNoAnswer: TimeInterval = 10
    static let noAnswersToOpen = 3

    private struct Breaker {
        /// Calls in a row that got no answer, and whose they were.
        var noAnswers = 0
        var callers: Set<Int64> = []
        /// Open: nobody calls until then.
        var quietUntil: Date = .distantPast
        /// Half-open: the one probe is under way.
        var probing = false
        var isOpen: Bool { noAnswers >= AttioGate.noAnswersToOpen && callers.count >= 2 }
    }

    private let slots: DispatchSemaphore
    private let breaker = Mutex(Breaker())
    private let waiting = Atomic<Int>(0)
    private let clock: any WallClock
    private let logger: Logger

    init(maxConcurrentCalls: Int, clock: any WallClock, logger: Logger) {
        slots = DispatchSemaphore(value: max(1, maxConcurrentCalls))
        self.clock = clock
        self.logger = logger
    }

    /// Runs one call to Attio for user `caller`.
    /// - Parameter wait: how long to wait for a free slot (seconds): none
    ///   for the home page, a little for the steps a person waits on.
    ///   - takingASlot: false for the task refresher, which runs on threads
    ///     of its own: its calls count as evidence for the breaker (and are
    ///     refused while it is open) but need no worker's slot.
    /// - Throws: ``AttioFailure/busy`` without calling: at once while the
    ///   breaker is open (or its one probe is under way), or when no slot
    ///   frees up within `wait`.
    func call<T>(
        for caller: Int64, waiting wait: TimeInterval = 0, takingASlot: Bool = true, _ body: () throws(AttioFailure) -> T
    ) throws(AttioFailure) -> T {
        guard let probe = admit() else { throw .busy }
        if takingASlot {
            guard takeSlot(waiting: wait) else {
                if probe { breaker.withLock { $0.probing = false } }  // the probe was never made: another may be
                throw .busy
            }
        }
        defer { if takingASlot { slots.signal() } }
        do {
            let value = try body()
            answered(probe: probe)
            return value
        } catch .noAnswer(let reason) {
            noAnswer(from: caller, probe: probe, reason: reason)
            throw .noAnswer(reason: reason)
        } catch {
            answered(probe: probe)  // Attio answered, if with an error (401, 429, 5xx…)
            throw error
        }
    }

    /// How many calls are waiting for a slot right now.
    var callsWaitingForASlot: Int { waiting.load(ordering: .relaxed) }

    /// nil: refused (open, or the probe is under way); else whether this
    /// call is the half-open probe.
    private func admit() -> Bool? {
        let now = clock.now()
        return breaker.withLock { state in
            guard state.isOpen else { return false }
            guard state.quietUntil <= now, !state.probing else { return nil }
            state.probing = true
            return true
        }
    }

    private func answered(probe: Bool) {
        let closed = breaker.withLock { state in
            let wasOpen = state.isOpen
            state = Breaker()
            return wasOpen && probe
        }
        if closed { logger.info("Attio answered the probe: calling it again") }
    }

    private func noAnswer(from caller: Int64, probe: Bool, reason: String) {
        let opened = breaker.withLock { state -> Bool in
            state.noAnswers += 1
            state.callers.insert(caller)
            if probe { state.probing = false }
            guard state.isOpen else { return false }
            state.quietUntil = clock.now().addingTimeInterval(Self.pauseAfterNoAnswer)
            return true
        }
        if opened {
            logger.warning(
                "Attio gave no answer (\(reason)), \(Self.noAnswersToOpen) or more calls in a row from different users: not calling it for \(Int(Self.pauseAfterNoAnswer)) s"
            )
        } else {
            logger.warning("Attio gave no answer (\(reason)) for user \(caller); other users' calls go on")
        }
    }

    private func takeSlot(waiting wait: TimeInterval) -> Bool {
        if slots.wait(timeout: .now()) == .success { return true }
        guard wait > 0 else { return false }
        waiting.add(1, ordering: .relaxed)
        defer { waiting.subtract(1, ordering: .relaxed) }
        return slots.wait(timeout: .now() + .milliseconds(Int(wait * 1000))) == .success
    }
}
