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
    let responder: any Responder
    let logger: Logger
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let epoll: WorkerEpoll
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
            self.epoll = try WorkerEpoll(listening: socket.fd, wake: pipeEnds[0])
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

        do {
            serve(try FastCGIRequest(listening: socket.fd))
        } catch {
            logger.critical("\(error); worker not started")
            shutdown()
        }
    }

    /// Answers until shutdown wakes the worker or the listening socket fails.
    ///
    /// A worker waits on the shared epoll and takes one event: a new
    /// connection, or a kept connection with its next request (nginx's
    /// `fastcgi_keep_conn on`). No worker waits on an idle kept connection:
    /// it goes back to the epoll set, so kept connections never pin workers.
    /// After answering, a worker tries to accept again before it waits:
    /// under load the next connection is usually queued already.
    private func serve(_ request: FastCGIRequest) {
        var acceptAtOnce = false
        while !stopping.load(ordering: .acquiring) {
            if acceptAtOnce {
                acceptAtOnce = answerNext(request)
                continue
            }
            let event: epoll_event
            do {
                guard let ready = try epoll.wait() else { continue }
                event = ready
            } catch {
                logger.critical("\(error); stopping")
                shutdown()
                break
            }
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
                request.adopt(kept)
                acceptAtOnce = answerNext(request)
            }
        }
    }

    /// Takes the next request (from the kept connection in `request`, or
    /// else a new connection on the non-blocking listening socket), answers
    /// it and, when the web server keeps the connection, hands it back to
    /// the epoll set. Returns whether a request was answered.
    private func answerNext(_ request: FastCGIRequest) -> Bool {
        let accepted = request.accept()
        guard accepted == 0 else {
            handleAcceptFailure(errno: -accepted)
            return false
        }
        // Whether libfcgi took a new connection cannot be told from fd
        // numbers (a kept connection it found closed frees its number, and
        // the kernel hands the lowest free one to the next accept), so the
        // listening socket is re-checked after every accept: one syscall,
        // and a queued connection never waits for this answer.
        epoll.rearmListeningSocket()
        inFlight.add(1, ordering: .relaxed)
        answer(request)
        if request.keepsConnection, !request.drainInput() {
            request.keepsConnection = false  // libfcgi closes it at finish
        }
        request.finish()
        inFlight.subtract(1, ordering: .relaxed)
        // libfcgi leaves a kept connection open in the request (and closes
        // any other); it goes back to the set, and this worker is free.
        if let kept = request.releaseKeptConnection(), !epoll.keep(kept) {
            logger.error("cannot keep a FastCGI connection: \(String(cString: strerror(errno))); closing it")
            close(kept)
        }
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

    private static let libraryStatus: Int32 = FCGX_Init()

    private static func initializeLibrary() throws(FastCGIError) {
        guard libraryStatus == 0 else { throw .system("FCGX_Init", errno: libraryStatus) }
    }
}
