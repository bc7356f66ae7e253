import Foundation
import HTTP
import Testing

@testable import FastCGI

/// A stopping server hands over without refusing anyone: it answers on the
/// connections the web server kept until the web server closes them, it
/// answers what is queued on a socket only it holds, and it leaves what is
/// queued on systemd's socket to the next process.
@Suite("FastCGI handover at shutdown")
struct HandoverTests {
    typealias GatedResponder = SlowLaneTests.GatedResponder

    /// One request on a connection kept open (`fastcgi_keep_conn on`).
    private func ask(_ client: FastCGIClient, _ uri: String) throws -> FastCGIClient.Response {
        try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": uri, "SCRIPT_NAME": ""], keepConnection: true)
        try client.endStdin()
        return try client.readResponse()
    }

    /// Holds the server's only worker on a `/slow/` request (until the
    /// responder's gate opens) and sends `GET /queued`, which waits in the
    /// socket's queue meanwhile.
    private func queueBehindTheOnlyWorker(of server: Server, at path: String) throws -> FastCGIClient {
        Thread { _ = try? FastCGIClient.request(unixPath: path, uri: "/slow/first") }.start()
        #expect(eventually { server.inFlight.load(ordering: .relaxed) == 1 })
        let queued = try FastCGIClient(unixPath: path)
        try queued.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/queued", "SCRIPT_NAME": ""])
        try queued.endStdin()
        return queued
    }

    @Test(.timeLimit(.minutes(1))) func keptConnectionsAreAnsweredUntilTheWebServerClosesThem() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/taskr.sock"
            let running = try RunningServer(target: .unix(path: path, mode: 0o600), workers: 2, responder: EchoResponder())
            let kept = try FastCGIClient(unixPath: path)
            #expect(try ask(kept, "/before").status == 200)
            running.server.shutdown()
            // nginx may send on a kept connection at any moment: still answered, still kept.
            for round in 0..<3 {
                #expect(try ask(kept, "/during/\(round)").text.contains("path=/during/\(round)"))
            }
            #expect(running.stopped(within: .milliseconds(300)) == nil, "it waits for the web server to close the connection")
            _ = consume kept
            // Well before handoverGrace: the close is what it waited for.
            #expect(running.stopped(within: .seconds(1)) == true)
        }
    }

    @Test(.timeLimit(.minutes(1))) func keptConnectionsTheWebServerLeavesOpenAreClosedAfterTheGrace() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/taskr.sock"
            let running = try RunningServer(target: .unix(path: path, mode: 0o600), workers: 2, responder: EchoResponder())
            let kept = try FastCGIClient(unixPath: path)
            #expect(try ask(kept, "/before").status == 200)
            let began = ContinuousClock.now
            running.server.shutdown()
            #expect(running.stopped(within: .seconds(10)) == true)
            #expect(ContinuousClock.now - began >= Server.handoverGrace)
            #expect(kept.isClosedByServer())
        }
    }

    /// spawn-fcgi's socket, renamed away by the next process's: nobody else
    /// would answer what waits on it, so the stopping server does.
    @Test(.timeLimit(.minutes(1))) func whatIsQueuedOnASocketOnlyThisProcessHoldsIsAnswered() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/taskr.sock"
            let responder = GatedResponder()
            let running = try RunningServer(target: .unix(path: path, mode: 0o600), workers: 1, responder: responder)
            let queued = try queueBehindTheOnlyWorker(of: running.server, at: path)
            running.server.shutdown()
            responder.gate.signal()
            #expect(try queued.readResponse().text == "answered /queued")
            #expect(running.stopped(within: .seconds(5)) == true)
        }
    }

    /// systemd keeps its socket open across the restart: the stopping
    /// server takes nothing from its queue, and the next one answers it.
    @Test(.timeLimit(.minutes(1))) func onSystemdsSocketWhatIsQueuedWaitsForTheNextProcess() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/taskr.sock"
            // systemd's copy of the socket; each process gets its own.
            let systemd = try boundUnixSocket(at: path)
            defer { close(systemd) }
            try #require(listen(systemd, 16) == 0)
            let responder = GatedResponder()
            let first = try RunningServer(target: .activated(fd: dup(systemd)), workers: 1, responder: responder)
            let queued = try queueBehindTheOnlyWorker(of: first.server, at: path)
            first.server.shutdown()
            responder.gate.signal()
            #expect(first.stopped(within: .seconds(5)) == true)
            #expect(queued.isOpenAndQuiet, "left in systemd's queue, neither answered nor reset")
            let next = try RunningServer(target: .activated(fd: dup(systemd)), workers: 1, responder: responder)
            #expect(try queued.readResponse().text == "answered /queued")
            next.server.shutdown()
            #expect(next.stopped(within: .seconds(5)) == true)
        }
    }
}
