import Foundation
import HTTP

extension Server {
    /// Reads one accepted request and answers it here, or queues it on the
    /// slow lane. Returns true when it was queued: the lane owns `request`
    /// now, and the caller takes a fresh one.
    func answer(_ request: FastCGIRequest) -> Bool {
        let started = ContinuousClock.now
        let (params, invalidParameter) = request.params()
        let method = params["REQUEST_METHOD"] ?? "GET"
        let path = Self.loggablePath(params["REQUEST_URI"])
        logger.debug("\(method) \(path) started")
        let decoded = RequestDecoder.decode(params: params, invalidParameter: invalidParameter) { request.readBody(length: $0) }
        if let lane, case let .success(decodedRequest) = decoded, responder.takesSlowLane(decodedRequest) {
            let job = SlowLane.Job(connection: request, request: decodedRequest, method: method, path: path, started: started)
            if lane.submit(job) { return true }
            logger.warning("\(method) \(path): the slow lane is full (\(lane.limits.threads) answering, \(lane.limits.waiting) waiting)")
            write(responder.slowLaneFull(decodedRequest), to: request, method: method, path: path, started: started)
            return false
        }
        write(responder.respond(to: decoded), to: request, method: method, path: path, started: started)
        return false
    }

    /// Answers the slow lane's requests until it stops (a lane thread).
    func answerSlowLane(_ lane: SlowLane) {
        blockTerminationSignals()
        while let job = lane.next() {
            let response = responder.respond(to: .success(job.request))
            write(response, to: job.connection, method: job.method, path: job.path, started: job.started)
            finish(job.connection)
            lane.finished()
        }
    }

    /// Writes `response` and the access log line.
    func write(_ response: Response, to request: FastCGIRequest, method: String, path: String, started: ContinuousClock.Instant) {
        var response = response
        var head = ResponseEncoder.head(of: response)
        if head == nil {
            logger.error("response header contains a line break; answering 500 instead")
            response = Response.text("Internal Server Error", status: .internalServerError)
            head = ResponseEncoder.head(of: response)
        }
        var written = request.write(head!)
        if written, method != "HEAD" {
            written = request.write(response.body)
        }
        let elapsed = ContinuousClock.now - started
        // Tenths of a millisecond, in integers: String(format:) costs more than the request.
        let tenths = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        logger.info("\(method) \(path) \(response.status.code) \(tenths / 10).\(tenths % 10)ms\(written ? "" : " (client gone)")")
    }

    /// Ends an answered request; a kept connection goes back to the epoll
    /// set, and the thread is free.
    func finish(_ request: FastCGIRequest) {
        // A stopping server whose web server did not close its kept
        // connections in time closes each with its answer.
        if request.keepsConnection, closingKept.load(ordering: .acquiring) || !request.drainInput() {
            request.keepsConnection = false  // libfcgi closes it at finish
        }
        request.finish()
        inFlight.subtract(1, ordering: .relaxed)
        // libfcgi leaves a kept connection open in the request (and closes
        // any other).
        if let kept = request.releaseKeptConnection(), !held.hold(kept, for: limits.idleTimeout, kept: true) {
            logger.error("cannot keep a FastCGI connection: \(String(cString: strerror(errno))); closing it")
            close(kept)
        }
    }

    /// Workers and lane threads never see the termination signals: libfcgi's
    /// reads and writes do not retry `EINTR`.
    func blockTerminationSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// The path of the request target without its query (which may carry
    /// OAuth codes) and cut to a sane length, for the access log.
    ///
    /// Cut by bytes, never Characters: a `?` followed by a combining mark is
    /// one Character that is not `"?"`, and would keep the query in the log.
    static func loggablePath(_ target: String?) -> String {
        guard let target else { return "-" }
        let bytes = target.utf8
        let path = bytes.prefix { $0 != UInt8(ascii: "?") }
        guard path.count > 200 else { return String(decoding: path, as: UTF8.self) }
        // At most 200 bytes, not cutting a scalar in two.
        var end = path.index(path.startIndex, offsetBy: 200)
        while end > path.startIndex, UTF8.isContinuation(path[end]) { end = path.index(before: end) }
        return String(decoding: path[..<end], as: UTF8.self) + "…"
    }
}
