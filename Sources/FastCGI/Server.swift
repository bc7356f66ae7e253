internal import CFastCGI
import Dispatch
import Foundation
import HTTP
public import Logging
import Synchronization

/// A FastCGI server: a fixed pool of dedicated worker threads accepting on one
/// listening socket and answering with a ``Responder``.
///
/// Each worker owns one `FCGX_Request` and waits on one epoll set shared by
/// all: the non-blocking listening socket, a wake pipe, and the connections
/// the web server keeps open between requests (`fastcgi_keep_conn on`); it
/// takes one, answers and finishes, and a kept connection goes back to the
/// set, so an idle one never holds a worker. Shutting down writes the wake
/// pipe: workers stop accepting, finish the request in hand and exit;
/// ``run(drainTimeout:)`` returns when all are done or the drain deadline
/// passes.
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
    private let epoll: Int32
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
        do {
            self.epoll = try Self.makeEpoll(listening: socket.fd, wake: pipeEnds[0])
        } catch {
            for end in pipeEnds { close(end) }
            throw error
        }
        self.socket = socket
        self.workerCount = workers
        self.responder = responder
        self.logger = logger
    }

    deinit {
        close(epoll)
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
        serve(request)
    }

    /// The one epoll instance the workers share: the listening socket
    /// (edge-triggered: a new connection wakes one waiting worker, which
    /// accepts until `EAGAIN`), the wake pipe (level-triggered, so shutdown
    /// reaches every worker) and the kept connections waiting for their
    /// next request (one-shot: a request wakes one worker, and the
    /// connection is armed again only once that request is answered).
    private static func makeEpoll(listening: Int32, wake: Int32) throws(FastCGIError) -> Int32 {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        try check("epoll_create1", epoll)
        var listeningEvent = epoll_event()
        listeningEvent.events = EPOLLIN.rawValue | EPOLLET.rawValue
        listeningEvent.data.fd = listening
        var wakeEvent = epoll_event()
        wakeEvent.events = EPOLLIN.rawValue
        wakeEvent.data.fd = wake
        do {
            try check("epoll_ctl", epoll_ctl(epoll, EPOLL_CTL_ADD, listening, &listeningEvent))
            try check("epoll_ctl", epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &wakeEvent))
        } catch {
            close(epoll)
            throw error
        }
        return epoll
    }

    /// Answers until shutdown wakes the worker or the listening socket fails.
    ///
    /// A worker waits on the shared epoll and takes one event: a new
    /// connection, or a kept connection with its next request (nginx's
    /// `fastcgi_keep_conn on`). No worker waits on an idle kept connection:
    /// it goes back to the epoll set, so kept connections never pin workers.
    /// After answering, a worker tries to accept again before it waits:
    /// under load the next connection is usually queued already.
    private func serve(_ request: UnsafeMutablePointer<FCGX_Request>) {
        var event = epoll_event()
        var acceptAtOnce = false
        while !stopping.load(ordering: .acquiring) {
            if acceptAtOnce {
                acceptAtOnce = answerNext(request)
                continue
            }
            let ready = epoll_wait(epoll, &event, 1, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.critical("epoll_wait failed: \(String(cString: strerror(errno))); stopping")
                shutdown()
                break
            }
            guard ready == 1 else { continue }
            switch event.data.fd {
            case wakeRead:
                return
            case socket.fd:
                if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
                    logger.critical("the listening socket failed; stopping")
                    shutdown()
                    return
                }
                acceptAtOnce = answerNext(request)
            case let kept:
                // The kept connection's next request (or its end: then
                // libfcgi closes it and tries the listening socket instead).
                request.pointee.ipcFd = kept
                request.pointee.keepConnection = 1
                acceptAtOnce = answerNext(request)
            }
        }
    }

    /// Takes the next request (from the kept connection in `request`, or
    /// else a new connection on the non-blocking listening socket), answers
    /// it and, when the web server keeps the connection, hands it back to
    /// the epoll set. Returns whether a request was answered.
    private func answerNext(_ request: UnsafeMutablePointer<FCGX_Request>) -> Bool {
        let adopted = request.pointee.ipcFd
        let accepted = FCGX_Accept_r(request)
        guard accepted == 0 else {
            handleAcceptFailure(errno: -accepted)
            return false
        }
        // The listening socket is edge-triggered: one edge may stand for
        // several queued connections. Re-arming it re-checks, and wakes one
        // more worker if another connection is waiting, so queued
        // connections never wait for this one's answer. (A kept connection
        // found closed makes libfcgi accept a new one too.)
        if adopted < 0 || request.pointee.ipcFd != adopted { rearmListeningSocket() }
        inFlight.add(1, ordering: .relaxed)
        answer(request)
        if request.pointee.keepConnection != 0, !Self.drainInput(request) {
            request.pointee.keepConnection = 0  // libfcgi closes it at Finish
        }
        FCGX_Finish_r(request)
        inFlight.subtract(1, ordering: .relaxed)
        // libfcgi leaves a kept connection open in the request (and closes
        // any other); it goes back to the set, and this worker is free.
        let kept = request.pointee.ipcFd
        if kept >= 0 {
            request.pointee.ipcFd = -1
            keep(kept)
        }
        return true
    }

    /// Reads what is left of a kept connection's request body, up to the
    /// end-of-stdin record, so its next request starts at a record boundary
    /// (libfcgi does not; a page that never reads stdin would leave that
    /// record for the next request to trip on). Returns false when the body
    /// went on beyond 1 MiB or the stream failed: that connection is closed
    /// instead of kept.
    private static func drainInput(_ request: UnsafeMutablePointer<FCGX_Request>) -> Bool {
        let input = request.pointee.`in`
        var buffer = [CChar](repeating: 0, count: 4096)
        var drained = 0
        while drained <= 1 << 20 {
            let read = FCGX_GetStr(&buffer, Int32(buffer.count), input)
            guard read > 0 else { return read == 0 && FCGX_GetError(input) == 0 }
            drained += Int(read)
        }
        return false
    }

    private func rearmListeningSocket() {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLET.rawValue
        event.data.fd = socket.fd
        epoll_ctl(epoll, EPOLL_CTL_MOD, socket.fd, &event)
    }

    /// Arms a kept connection in the epoll set for its next request: one
    /// worker is woken when it is readable (or closed).
    private func keep(_ connection: Int32) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue
        event.data.fd = connection
        // Re-armed if it was in the set already (a request read from it
        // before), added otherwise (a new connection).
        if epoll_ctl(epoll, EPOLL_CTL_MOD, connection, &event) == 0 { return }
        if errno == ENOENT, epoll_ctl(epoll, EPOLL_CTL_ADD, connection, &event) == 0 { return }
        logger.error("cannot keep a FastCGI connection: \(String(cString: strerror(errno))); closing it")
        close(connection)
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
