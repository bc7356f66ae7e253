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
/// set, so an idle one never holds a worker. Connections are accepted here,
/// not by libfcgi: the peer is checked against `FCGI_WEB_SERVER_ADDRS`
/// (``PeerFilter``), gets read and write timeouts, and waits without a
/// worker under a cap and a deadline (``HeldConnections``). Requests the
/// responder calls slow (password work) are answered on a ``SlowLane`` of
/// their own. Shutting down hands over without refusing anyone (see
/// ``handOver(until:)``): what reaches this process is still answered
/// until the web server has closed the connections it kept, and the
/// workers stop once nothing waits on the process; ``run(drainTimeout:)`` returns
/// when all are done or the drain deadline passes.
///
/// Threads rather than Swift concurrency: libfcgi's calls block, and its
/// reads and writes do not retry `EINTR`, so workers block the termination
/// signals and never see them.
public final class Server: Sendable {
    let socket: ListeningSocket
    private let workerCount: Int
    /// Who may connect over TCP (`FCGI_WEB_SERVER_ADDRS`); nil: anyone.
    let peers: PeerFilter?
    let limits: ConnectionLimits
    let held: HeldConnections
    /// Where requests the responder calls slow are answered; nil: by the workers.
    let lane: SlowLane?
    /// What each `FCGX_Request` is initialised on instead of the listening
    /// socket: an unbound unix socket, so libfcgi's own accept (which it
    /// falls back to when a connection ends) fails with EINVAL at once and
    /// every connection comes through ``acceptPeer()``.
    private let placeholder: Int32
    let responder: any Responder
    let logger: Logger
    private let wakeRead: Int32
    let wakeWrite: Int32
    let epoll: WorkerEpoll
    /// Set by ``shutdown()``: handing over (what is accepted now is answered
    /// at once, never held for its first request).
    let stopping = Atomic<Bool>(false)
    /// Whether workers take new connections from the listening socket.
    let accepting = Atomic<Bool>(true)
    /// Set when a stopping server stops waiting for the web server to
    /// close its kept connections: each closes with its next answer.
    let closingKept = Atomic<Bool>(false)
    /// Set once the handover is done: the workers return.
    let exiting = Atomic<Bool>(false)
    /// Requests accepted and not yet finished (read by tests and the drain log).
    let inFlight = Atomic<Int>(0)
    private let stopRequested = DispatchSemaphore(value: 0)
    let workersDone = DispatchGroup()
    let laneDone = DispatchGroup()

    /// The default pool size: requests spend most of their time waiting
    /// (SQLite, Attio), so several threads per core.
    public static var defaultWorkerCount: Int { max(8, 4 * ProcessInfo.processInfo.activeProcessorCount) }

    /// - Parameters:
    ///   - socket: the listening socket; the server keeps it open while it runs.
    ///   - workers: how many requests are answered at once.
    ///   - peers: who may connect over TCP; nil lets anyone.
    ///   - limits: timeouts and the cap on connections waiting without a worker.
    ///   - slowLane: threads and queue for ``Responder/takesSlowLane(_:)``
    ///     requests; nil answers them on the workers like any other.
    public init(
        socket: ListeningSocket, workers: Int, peers: PeerFilter? = nil, limits: ConnectionLimits = .standard,
        slowLane: SlowLane.Limits? = nil, responder: any Responder, logger: Logger
    ) throws(FastCGIError) {
        precondition(workers > 0, "a server needs at least one worker")
        try Self.initializeLibrary()
        var pipeEnds: [Int32] = [0, 0]
        try check("pipe", pipe(&pipeEnds))
        for end in pipeEnds { try check("fcntl(FD_CLOEXEC)", fcntl(end, F_SETFD, FD_CLOEXEC)) }
        let placeholder = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        do {
            try check("socket(AF_UNIX)", placeholder)
            self.epoll = try WorkerEpoll(listening: socket.fd, wake: pipeEnds[0])
        } catch {
            for fd in pipeEnds + [placeholder] where fd >= 0 { close(fd) }
            throw error
        }
        self.wakeRead = pipeEnds[0]
        self.wakeWrite = pipeEnds[1]
        self.placeholder = placeholder
        self.peers = peers
        self.limits = limits
        self.held = HeldConnections(epoll: epoll, maximum: limits.maximumIdle)
        self.lane = slowLane.map(SlowLane.init(limits:))
        self.socket = socket
        self.workerCount = workers
        self.responder = responder
        self.logger = logger
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
        close(placeholder)
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
        if let lane {
            for index in 0..<lane.limits.threads {
                laneDone.enter()
                let thread = Thread { [self] in
                    answerSlowLane(lane)
                    laneDone.leave()
                }
                thread.name = "fcgi-slow-\(index)"
                thread.start()
            }
        }
        let laneText = lane.map { ", and \($0.limits.threads) more for slow requests (\($0.limits.waiting) may wait)" } ?? ""
        logger.info("listening on \(socket.target) with \(workerCount) workers\(laneText)")
        // This thread has nothing else to do: it closes connections that
        // waited past their deadline, about once a second.
        while stopRequested.wait(timeout: .now() + .seconds(1)) == .timedOut {
            held.closeExpired()
        }
        defer { held.closeAll() }
        if handOver(until: .after(drainTimeout)) {
            logger.info("stopped: all requests finished")
            return true
        }
        logger.error("stopped: \(inFlight.load(ordering: .relaxed)) request(s) still running after the \(drainTimeout) drain timeout")
        return false
    }

    /// Starts the handover (``handOver(until:)``) and lets requests in
    /// flight finish. Safe to call from any thread, more than once.
    public func shutdown() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // systemd's socket stays open: what is queued there is the next
        // process's, and this one takes nothing new.
        if socket.target.outlivesProcess { stopAccepting() }
        stopRequested.signal()
    }

    // MARK: - Workers

    private func work() {
        blockTerminationSignals()
        do {
            serve(try FastCGIRequest(listening: placeholder))
        } catch {
            logger.critical("\(error); worker not started")
            shutdown()
        }
    }

    /// Answers until shutdown wakes the worker or the listening socket fails.
    ///
    /// A worker waits on the shared epoll and takes one event: a new
    /// connection, or a held connection with its next request (nginx's
    /// `fastcgi_keep_conn on`). No worker waits on an idle connection: it
    /// goes back to the epoll set, so kept connections never pin workers.
    /// After answering a new connection, a worker tries to accept again
    /// before it waits: under load the next one is usually queued already.
    private func serve(_ first: FastCGIRequest) {
        var request = first
        let listeningToken = WorkerEpoll.token(of: socket.fd)
        let wakeToken = WorkerEpoll.token(of: wakeRead)
        var acceptAtOnce = false
        while !exiting.load(ordering: .acquiring) {
            if acceptAtOnce {
                acceptAtOnce = takeNewConnection(&request)
                continue
            }
            let event: (token: UInt64, events: UInt32)
            do {
                guard let ready = try epoll.wait() else { continue }
                event = ready
            } catch {
                logger.critical("\(error); stopping")
                shutdown()
                break
            }
            switch event.token {
            case wakeToken:
                return
            case listeningToken:
                if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
                    logger.critical("the listening socket failed; stopping")
                    shutdown()
                    return
                }
                acceptAtOnce = takeNewConnection(&request)
            case let token:
                // A held connection's next request (or its end: then
                // libfcgi closes it). Nil: closed by a limit meanwhile.
                // No accept after it: with kept connections a new one is
                // rare, and its own edge wakes a worker (a failed accept
                // and a re-arm per request were 12 % of a page's time).
                guard let connection = held.claim(token) else { continue }
                answer(on: connection, with: &request)
            }
        }
    }

    /// Accepts one connection and answers its first request now if it has
    /// arrived, or else holds it until it does. Returns false when there
    /// was nothing to accept.
    private func takeNewConnection(_ request: inout FastCGIRequest) -> Bool {
        guard accepting.load(ordering: .acquiring) else { return false }
        let connection: Int32
        switch acceptPeer() {
        case .nothing: return false
        case .refused: return true
        case let .connection(accepted): connection = accepted
        }
        // A stopping server answers at once what it accepted (waiting up to
        // the read timeout for the request): it holds nothing new.
        if isReadable(connection) || stopping.load(ordering: .acquiring) {
            answer(on: connection, with: &request)
        } else if !held.hold(connection, for: limits.readTimeout, kept: false) {
            logger.error("cannot watch a FastCGI connection: \(String(cString: strerror(errno))); closing it")
            close(connection)
        }
        return true
    }

    /// Reads the next request from `connection` (the request's now), answers
    /// it and, when the web server keeps the connection, holds it again.
    private func answer(on connection: Int32, with request: inout FastCGIRequest) {
        request.adopt(connection)
        let accepted = request.accept()
        guard accepted == 0 else {
            // The connection ended, timed out or spoke no FastCGI: libfcgi
            // closed it, and its fallback accept on the placeholder socket
            // says EINVAL. Anything else is worth a line.
            if accepted != -EINVAL { logger.warning("FastCGI connection dropped: \(Self.describe(acceptFailure: -accepted))") }
            return
        }
        inFlight.add(1, ordering: .relaxed)
        guard answer(request) else {
            finish(request)
            return
        }
        // The slow lane has this one now: the worker takes a fresh request.
        do {
            request = try FastCGIRequest(listening: placeholder)
        } catch {
            logger.critical("\(error); worker stopping")
            shutdown()
        }
    }

    private static let libraryStatus: Int32 = FCGX_Init()

    private static func initializeLibrary() throws(FastCGIError) {
        guard libraryStatus == 0 else { throw .system("FCGX_Init", errno: libraryStatus) }
    }
}
