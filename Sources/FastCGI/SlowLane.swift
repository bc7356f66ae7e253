import Foundation
public import HTTP

/// Requests whose work waits on a small shared pool (Argon2id hashes: as
/// many at once as there are cores), answered by threads of their own so
/// that a burst of them never parks the workers.
///
/// A worker that reads such a request (``Responder/takesSlowLane(_:)``)
/// queues it here with its `FCGX_Request` and goes back to the epoll set
/// with a fresh one; the lane's threads answer the queue in order. Only
/// when every thread is answering one and ``Limits/waiting`` more are
/// queued does the next get ``Responder/slowLaneFull(_:)`` (503) at once. So a burst of sign-ups
/// and log-ins up to the lane's threads plus its queue is served, and `/`
/// and `/healthz` still answer at once during a flood of them.
public final class SlowLane: @unchecked Sendable {
    /// How many threads answer the lane, and how many requests may wait.
    public struct Limits: Sendable, Equatable {
        public var threads: Int
        public var waiting: Int

        public init(threads: Int, waiting: Int) {
            precondition(threads > 0 && waiting >= 0)
            self.threads = threads
            self.waiting = waiting
        }

        /// As many threads as workers, and three times as many may wait:
        /// four times the workers in all. SPEC "Under load" asks that a
        /// burst of twice the workers is served; processes sharing one
        /// socket do not split a burst evenly (each takes what its workers
        /// accept first, and handing a request to the lane is quick), so
        /// the room is twice that: one of two processes may take it all.
        public static func standard(workers: Int) -> Limits { Limits(threads: workers, waiting: 3 * workers) }
    }

    /// One request read by a worker, to be answered on the lane.
    struct Job: @unchecked Sendable {
        // The FastCGIRequest moves from the worker to one lane thread,
        // through the lock below; only one thread ever touches it at a time.
        let connection: FastCGIRequest
        let request: Request
        /// For the access log line.
        let method: String
        let path: String
        let started: ContinuousClock.Instant
    }

    let limits: Limits
    private let condition = NSCondition()
    // Guarded by `condition`: jobs queued (from `head` on), jobs being
    // answered, and whether the server is stopping.
    private var queue: [Job] = []
    private var head = 0
    private var running = 0
    private var stopping = false

    init(limits: Limits) {
        self.limits = limits
    }

    /// Queues `job`; false (the caller answers "busy") when every thread
    /// is answering one and `waiting` more are queued already.
    func submit(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, queue.count - head + running < limits.threads + limits.waiting else { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    /// The next job, waiting for one; nil once ``stop()`` was called and
    /// the queue is empty, so every queued request is answered. Call
    /// ``finished()`` when it is answered.
    func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count, !stopping { condition.wait() }
        guard head < queue.count else { return nil }
        let job = queue[head]
        head += 1
        running += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    /// One job taken with ``next()`` is answered.
    func finished() {
        condition.lock()
        running -= 1
        condition.unlock()
    }

    /// Queued or being answered (tests).
    var inLane: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head + running
    }

    /// Lets the threads finish the queue and return.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
