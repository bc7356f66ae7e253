internal import CFastCGI
import Dispatch
import Foundation
import HTTP
public import Logging
import Synchronization

/// A FastCGI server: a fixed pool of dedicated worker threads accepting on one
/// listening socket and answering with a ``Responder``.
///
/// Each worker owns one `FCGX_Request`, waits (epoll) on the non-blocking
/// listening socket together with a wake pipe, accepts, answers and finishes. Shutting
/// down writes the wake pipe: workers stop accepting, finish the request in
/// hand and exit; ``run(drainTimeout:)`` returns when all are done or the
/// drain deadline passes.
///
/// Threads rather than Swift concurrency: libfcgi's calls block, and its
/// reads and writes do not retry `EINTR`, so workers block the termination
/// signals and never see them.
public final class Server: Sendable {
    private let socket: ListeningSocket
    private let workerCount: Int
    private let responder: any Responder
    private let logger: Logger
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopping = Atomic<Bool>(false)
    /// Requests accepted and not yet finished (read by tests and the drain log).
    let inFlight = Atomic<Int>(0)
    private let stopRequested = DispatchSemaphore(value: 0)
    private let workersDone = DispatchGroup()

    /// The default pool size: requests spend most of their time waiting
    /// (SQLite, Attio), so several threads per core.
    public static var defaultWorkerCount: Int { max(8, 4 * ProcessInfo.processInfo.activeProcessorCount) }

    /// - Parameters:
    ///   - socket: the listening socket; the server keeps it open while it runs.
    ///   - workers: how many requests are answered at once.
    public init(socket: ListeningSocket, workers: Int, responder: any Responder, logger: Logger) throws(FastCGIError) {
        precondition(workers > 0, "a server needs at least one worker")
        try Self.initializeLibrary()
        var pipeEnds: [Int32] = [0, 0]
        try check("pipe", pipe(&pipeEnds))
        for end in pipeEnds { try check("fcntl(FD_CLOEXEC)", fcntl(end, F_SETFD, FD_CLOEXEC)) }
        self.wakeRead = pipeEnds[0]
        self.wakeWrite = pipeEnds[1]
        self.socket = socket
        self.workerCount = workers
        self.responder = responder
        self.logger = logger
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Starts the workers and blocks until the server has stopped.
    ///
    /// - Parameter drainTimeout: after ``shutdown()``, how long requests in
    ///   flight may take to finish.
    /// - Returns: true when every worker finished within the drain timeout.
    public func run(drainTimeout: Duration) -> Bool {
        for index in 0..<workerCount {
            workersDone.enter()
            let thread = Thread { [self] in
                work()
                workersDone.leave()
            }
            thread.name = "fcgi-worker-\(index)"
            thread.start()
        }
        logger.info("listening on \(socket.target) with \(workerCount) workers")
        stopRequested.wait()
        let (seconds, attoseconds) = drainTimeout.components
        let deadline = DispatchTime.now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        if workersDone.wait(timeout: deadline) == .success {
            logger.info("stopped: all requests finished")
            return true
        }
        logger.error("stopped: \(inFlight.load(ordering: .relaxed)) request(s) still running after the \(drainTimeout) drain timeout")
        return false
    }

    /// Stops accepting and lets requests in flight finish. Safe to call from
    /// any thread, more than once.
    public func shutdown() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        stopRequested.signal()
    }

    // MARK: - Workers

    private func work() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        guard FCGX_InitRequest(request, socket.fd, 0) == 0 else {
            logger.critical("FCGX_InitRequest failed; worker not started")
            shutdown()
            return
        }
        guard let epoll = makeEpoll() else {
            shutdown()
            return
        }
        defer { close(epoll) }
        serve(request, waitingOn: epoll)
    }

    /// One epoll instance per worker. The listening socket is registered
    /// EPOLLEXCLUSIVE, so a new connection wakes one worker rather than all
    /// of them (poll would wake every worker, and all but one would find
    /// nothing to accept); the wake pipe wakes every worker.
    private func makeEpoll() -> Int32? {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            logger.critical("epoll_create1 failed: \(String(cString: strerror(errno))); worker not started")
            return nil
        }
        var listening = epoll_event()
        listening.events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue
        listening.data.fd = socket.fd
        var waking = epoll_event()
        waking.events = EPOLLIN.rawValue
        waking.data.fd = wakeRead
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, socket.fd, &listening) == 0,
            epoll_ctl(epoll, EPOLL_CTL_ADD, wakeRead, &waking) == 0
        else {
            logger.critical("epoll_ctl failed: \(String(cString: strerror(errno))); worker not started")
            close(epoll)
            return nil
        }
        return epoll
    }

    /// Accepts and answers until shutdown wakes the worker or the listening socket fails.
    ///
    /// After answering, a worker tries to accept again before it waits: under
    /// load the next connection is usually queued already, and this saves
    /// the wait and its wake-up. Only when nothing is queued (`EAGAIN`) does
    /// it wait on epoll.
    private func serve(_ request: UnsafeMutablePointer<FCGX_Request>, waitingOn epoll: Int32) {
        var events = [epoll_event](repeating: epoll_event(), count: 2)
        var acceptAtOnce = false
        while !stopping.load(ordering: .acquiring) {
            if acceptAtOnce {
                acceptAtOnce = acceptAndAnswer(request)
                continue
            }
            let ready = epoll_wait(epoll, &events, Int32(events.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.critical("epoll_wait failed: \(String(cString: strerror(errno))); stopping")
                shutdown()
                break
            }
            let woken = events.prefix(Int(ready))
            if woken.contains(where: { $0.data.fd == wakeRead }) { break }
            guard let event = woken.first(where: { $0.data.fd == socket.fd }) else { continue }
            if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
                logger.critical("the listening socket failed; stopping")
                shutdown()
                break
            }
            acceptAtOnce = acceptAndAnswer(request)
        }
    }

    /// Accepts one connection on the non-blocking listening socket and
    /// answers it; returns whether one was answered.
    private func acceptAndAnswer(_ request: UnsafeMutablePointer<FCGX_Request>) -> Bool {
        let accepted = FCGX_Accept_r(request)
        guard accepted == 0 else {
            handleAcceptFailure(errno: -accepted)
            return false
        }
        inFlight.add(1, ordering: .relaxed)
        answer(request)
        FCGX_Finish_r(request)
        inFlight.subtract(1, ordering: .relaxed)
        return true
    }

    private func handleAcceptFailure(errno code: Int32) {
        switch code {
        case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED:
            // Another worker took the connection, or the peer gave up.
            return
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            logger.error("accept failed: \(String(cString: strerror(code))); pausing briefly")
            usleep(100_000)
        default:
            logger.error("accept failed: \(code > 0 ? String(cString: strerror(code)) : "protocol error \(code)")")
        }
    }

    /// Reads one accepted request, asks the responder and writes the answer.
    private func answer(_ request: UnsafeMutablePointer<FCGX_Request>) {
        let started = ContinuousClock.now
        let (params, invalidParameter) = RequestDecoder.params(environment: request.pointee.envp)
        let method = params["REQUEST_METHOD"] ?? "GET"
        let path = Self.loggablePath(params["REQUEST_URI"])
        logger.debug("\(method) \(path) started")
        let input = request.pointee.`in`
        let decoded = RequestDecoder.decode(params: params, invalidParameter: invalidParameter) { length in
            var body = [UInt8](repeating: 0, count: length)
            var filled = 0
            while filled < length {
                let read = body.withUnsafeMutableBufferPointer { buffer in
                    buffer.baseAddress!.advanced(by: filled).withMemoryRebound(to: CChar.self, capacity: length - filled) {
                        FCGX_GetStr($0, Int32(length - filled), input)
                    }
                }
                guard read > 0 else { break }
                filled += Int(read)
            }
            return Array(body.prefix(filled))
        }
        var response = responder.respond(to: decoded)
        var head = ResponseEncoder.head(of: response)
        if head == nil {
            logger.error("response header contains a line break; answering 500 instead")
            response = Response.text("Internal Server Error", status: .internalServerError)
            head = ResponseEncoder.head(of: response)
        }
        let output = request.pointee.out
        var written = put(head!, to: output)
        if written, method != "HEAD" {
            written = put(response.body, to: output)
        }
        let elapsed = ContinuousClock.now - started
        // Tenths of a millisecond, in integers: String(format:) costs more than the request.
        let tenths = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        logger.info("\(method) \(path) \(response.status.code) \(tenths / 10).\(tenths % 10)ms\(written ? "" : " (client gone)")")
    }

    private func put(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        guard !bytes.isEmpty else { return true }
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                FCGX_PutStr($0.baseAddress, Int32($0.count), stream) == Int32($0.count)
            }
        }
    }

    /// The path of the request target without its query (which may carry
    /// OAuth codes) and cut to a sane length, for the access log.
    static func loggablePath(_ target: String?) -> String {
        guard let target else { return "-" }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return path.count > 200 ? path.prefix(200) + "…" : String(path)
    }

    private static let libraryStatus: Int32 = FCGX_Init()

    private static func initializeLibrary() throws(FastCGIError) {
        guard libraryStatus == 0 else { throw .system("FCGX_Init", errno: libraryStatus) }
    }
}
