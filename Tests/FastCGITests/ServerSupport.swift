import Foundation
import HTTP
import Logging
import Synchronization
@_exported import TestSupport

@testable import FastCGI

/// Runs an in-process ``Server`` on a unix socket in a temporary directory
/// for the duration of `body`, then shuts it down and waits for it.
///
/// - Returns: what `body` returned, and whether the server drained in time.
@discardableResult
func withServer<T>(
    workers: Int = 4,
    drainTimeout: Duration = .seconds(10),
    tcpHost: String? = nil,
    peers: PeerFilter? = nil,
    limits: ConnectionLimits = .standard,
    slowLane: SlowLane.Limits? = nil,
    responder: any Responder,
    _ body: (_ socketPath: String, _ server: Server) throws -> T
) throws -> (result: T, drained: Bool) {
    try withTemporaryPath { directory in
        let path = "\(directory)/taskr.sock"
        let target = try tcpHost.map { ListenTarget.tcp(host: $0, port: try freeTCPPort()) } ?? .unix(path: path, mode: 0o600)
        let running = try RunningServer(
            target: target, workers: workers, drainTimeout: drainTimeout, peers: peers, limits: limits, slowLane: slowLane,
            responder: responder)
        let result: T
        do {
            result = try body(path, running.server)
        } catch {
            running.server.shutdown()
            _ = running.stopped(within: .seconds(3600))
            throw error
        }
        running.server.shutdown()
        return (result, running.stopped(within: .seconds(3600)) ?? false)
    }
}

/// An in-process ``Server`` on `target`, running on a thread of its own
/// from `init` until it stops (after ``Server/shutdown()``).
final class RunningServer: Sendable {
    let server: Server
    private let finished = DispatchSemaphore(value: 0)
    private let drained = Atomic<Bool>(false)

    init(
        target: ListenTarget, workers: Int = 4, drainTimeout: Duration = .seconds(10), peers: PeerFilter? = nil,
        limits: ConnectionLimits = .standard, slowLane: SlowLane.Limits? = nil, responder: any Responder
    ) throws {
        let server = try Server(
            socket: try ListeningSocket.open(target), workers: workers, peers: peers, limits: limits, slowLane: slowLane,
            responder: responder, logger: Logger(label: "test"))
        self.server = server
        Thread { [self] in
            drained.store(server.run(drainTimeout: drainTimeout), ordering: .sequentiallyConsistent)
            finished.signal()
        }.start()
    }

    /// Whether `run` drained in time, once it returned; nil when it has
    /// not returned within `timeout`.
    func stopped(within timeout: Duration) -> Bool? {
        guard finished.wait(timeout: .after(timeout)) == .success else { return nil }
        finished.signal()  // a later call returns at once too
        return drained.load(ordering: .sequentiallyConsistent)
    }
}

/// Answers with a plain-text description of the request it received, so
/// tests can see the params → ``Request`` mapping through a real socket.
struct EchoResponder: Responder {
    func respond(to request: Result<Request, HTTPError>) -> Response {
        switch request {
        case let .failure(error):
            return .text("error: \(error.message)", status: error.status)
        case let .success(request):
            var lines = [
                "method=\(request.method)",
                "path=\(request.path)",
                "secure=\(request.isSecure)",
                "remote=\(request.remoteAddress ?? "-")",
                "body=\(String(decoding: request.body, as: UTF8.self))",
            ]
            for (name, value) in request.query.pairs { lines.append("query.\(name)=\(value)") }
            for (name, value) in request.headers { lines.append("header.\(name)=\(value)") }
            if let session = request.cookies["taskr_session"] { lines.append("cookie.taskr_session=\(session)") }
            var response = Response.text(lines.joined(separator: "\n") + "\n")
            if request.path == "/inject" { response.headers["Location"] = "/\r\nSet-Cookie: evil=1" }
            return response
        }
    }
}

/// Holds each request until `expected` requests are inside it at once, so a
/// test proves they are served concurrently (500 if they never meet).
final class BarrierResponder: Responder, @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private var arrived = 0
    private let expected: Int

    init(expected: Int) { self.expected = expected }

    func respond(to request: Result<Request, HTTPError>) -> Response {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        let deadline = Date().addingTimeInterval(10)
        while arrived < expected {
            guard condition.wait(until: deadline) else { return .text("alone", status: .internalServerError) }
        }
        return .text("together")
    }
}
