import Foundation
import HTTP
import Synchronization
import Testing

@testable import FastCGI

/// SPEC "Under load": `FCGI_WEB_SERVER_ADDRS` holds for IPv4 and IPv6 peers,
/// and a silent or idle peer holds no worker and no file descriptor for long.
@Suite("FastCGI peers are bounded")
struct PeerLimitsTests {
    static func address(_ text: String) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            if text.contains(":") {
                var ipv6 = sockaddr_in6()
                ipv6.sin6_family = sa_family_t(AF_INET6)
                inet_pton(AF_INET6, text, &ipv6.sin6_addr)
                withUnsafeBytes(of: ipv6) { raw.copyMemory(from: $0) }
            } else {
                var ipv4 = sockaddr_in()
                ipv4.sin_family = sa_family_t(AF_INET)
                inet_pton(AF_INET, text, &ipv4.sin_addr)
                withUnsafeBytes(of: ipv4) { raw.copyMemory(from: $0) }
            }
        }
        return storage
    }

    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1", true),
        ("127.0.0.1", "127.0.0.2", false),
        ("127.0.0.1", "::ffff:127.0.0.1", true),  // a dual-stack socket's IPv4 peer
        ("127.0.0.1", "::1", false),
        ("::ffff:10.1.2.3", "10.1.2.3", true),
        ("10.0.0.0/8", "10.200.0.9", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("10.0.0.0/8", "::ffff:10.9.9.9", true),
        ("192.168.1.0/25", "192.168.1.127", true),
        ("192.168.1.0/25", "192.168.1.128", false),
        ("::1", "::1", true),
        ("::1", "127.0.0.1", false),
        ("fd00::/8", "fd12:3456::1", true),
        ("fd00::/8", "fe80::1", false),
        ("0.0.0.0/0", "203.0.113.5", true),
        ("0.0.0.0/0", "2001:db8::1", false),
        ("192.0.2.1, 127.0.0.1", "127.0.0.1", true),
        ("192.0.2.1,::1", "::1", true),
    ])
    func admitsOnlyListedPeers(_ list: String, _ peer: String, _ admitted: Bool) throws {
        #expect(try PeerFilter(parsing: list).admits(Self.address(peer)) == admitted)
    }

    @Test(arguments: ["localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/+8", "10.0.0.0/", "1.2.3", ",", "127.0.0.1,nginx"])
    func refusesWhatIsNotAnAddress(_ list: String) {
        #expect(throws: FastCGIError.self) { try PeerFilter(parsing: list) }
    }

    @Test func unsetOrEmptyLetsEveryPeerIn() throws {
        #expect(try PeerFilter.fromEnvironment([:]) == nil)
        #expect(try PeerFilter.fromEnvironment(["FCGI_WEB_SERVER_ADDRS": " "]) == nil)
        #expect(try PeerFilter.fromEnvironment(["FCGI_WEB_SERVER_ADDRS": "::1"]) != nil)
    }

    /// libfcgi checked AF_INET peers only: over `[::1]` and a dual-stack
    /// socket's v4-mapped peers, an unlisted peer got its answer.
    @Test(.timeLimit(.minutes(1))) func unlistedIPv6AndV4MappedPeersAreClosed() throws {
        let closed = try PeerFilter(parsing: "192.0.2.1")
        try withServer(workers: 2, tcpHost: "::", peers: closed, responder: EchoResponder()) { _, server in
            let port = try Self.port(of: server)
            for host in ["::1", "127.0.0.1"] {
                let client = try FastCGIClient(host: host, port: port, timeout: 5)
                #expect(client.isClosedByServer(), "an unlisted peer over \(host) was answered")
            }
        }
        let open = try PeerFilter(parsing: "127.0.0.0/8, ::1")
        try withServer(workers: 2, tcpHost: "::", peers: open, responder: EchoResponder()) { _, server in
            let port = try Self.port(of: server)
            for host in ["::1", "127.0.0.1"] {
                let client = try FastCGIClient(host: host, port: port, timeout: 5)
                try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/listed", "SCRIPT_NAME": ""])
                try client.endStdin()
                #expect(try client.readResponse().text.contains("path=/listed"))
            }
        }
    }

    /// One worker; one peer connects and says nothing, another stops in the
    /// middle of a record. Neither holds the worker past the read timeout,
    /// and both are closed.
    @Test(.timeLimit(.minutes(1))) func silentPeersAreReleasedWithinTheReadTimeout() throws {
        let limits = ConnectionLimits(readTimeout: .seconds(1), idleTimeout: .seconds(60), maximumIdle: 16)
        try withServer(workers: 1, limits: limits, responder: EchoResponder()) { path, _ in
            let silent = try FastCGIClient(unixPath: path, timeout: 4)
            let stalled = try FastCGIClient(unixPath: path, timeout: 4)
            try stalled.sendRaw([1, 1, 0, 1, 0, 8])  // half a BEGIN_REQUEST header
            let started = ContinuousClock.now
            let answer = try FastCGIClient(unixPath: path, timeout: 4)
            try answer.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/after", "SCRIPT_NAME": ""])
            try answer.endStdin()
            #expect(try answer.readResponse().text.contains("path=/after"))
            // The read timeout (1 s), not libfcgi's 2 s linger at close on top.
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(stalled.isClosedByServer())
            #expect(silent.isClosedByServer())
        }
    }

    /// Past the cap, holding one more kept connection closes the one that
    /// has waited longest; the others keep serving.
    @Test(.timeLimit(.minutes(1))) func idleKeptConnectionsAreCappedOldestFirst() throws {
        let limits = ConnectionLimits(readTimeout: .seconds(5), idleTimeout: .seconds(60), maximumIdle: 3)
        try withServer(workers: 2, limits: limits, responder: EchoResponder()) { path, server in
            var clients: [FastCGIClient] = []
            for index in 0..<6 {
                let client = try FastCGIClient(unixPath: path, timeout: 5)
                try Self.keptRequest(client, "/kept/\(index)")
                clients.append(client)
            }
            #expect(eventually { server.held.count == 3 })
            for client in clients.prefix(3) { #expect(client.isClosedByServer()) }
            for (index, client) in clients.suffix(3).enumerated() {
                #expect(client.isOpenAndQuiet)
                try Self.keptRequest(client, "/again/\(index)")
            }
        }
    }

    /// A kept connection with no next request is closed after the idle timeout.
    @Test(.timeLimit(.minutes(1))) func anIdleKeptConnectionIsClosedAfterTheIdleTimeout() throws {
        let limits = ConnectionLimits(readTimeout: .seconds(5), idleTimeout: .seconds(1), maximumIdle: 16)
        try withServer(workers: 1, limits: limits, responder: EchoResponder()) { path, server in
            let client = try FastCGIClient(unixPath: path, timeout: 4)
            try Self.keptRequest(client, "/kept")
            #expect(client.isOpenAndQuiet)
            #expect(client.isClosedByServer())
            #expect(server.held.count == 0)
        }
    }

    /// The port of a TCP server.
    static func port(of server: Server) throws -> UInt16 {
        guard case let .tcp(_, port) = server.socket.target else { throw FastCGIClient.ProtocolError(description: "not TCP") }
        return port
    }

    static func keptRequest(_ client: FastCGIClient, _ uri: String) throws {
        try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": uri, "SCRIPT_NAME": ""], keepConnection: true)
        try client.endStdin()
        #expect(try client.readResponse().text.contains("path=\(uri)"))
    }
}

/// The slow lane: a burst of slow requests waits on the lane's threads, not
/// on the workers; past its room they get the responder's "full" answer at
/// once, and fast requests are answered meanwhile.
@Suite("FastCGI slow lane")
struct SlowLaneTests {
    /// Slow requests (`/slow/...`) wait until the test opens the gate.
    final class GatedResponder: Responder {
        let gate = DispatchSemaphore(value: 0)
        func respond(to request: Result<Request, HTTPError>) -> Response {
            guard case let .success(request) = request else { return .text("bad", status: .badRequest) }
            if request.path.hasPrefix("/slow/") { gate.wait() }
            return .text("answered \(request.path)")
        }
        func takesSlowLane(_ request: Request) -> Bool { request.path.hasPrefix("/slow/") }
    }

    @Test(.timeLimit(.minutes(1))) func aBurstWaitsOnTheLaneAndOnlyPastItsRoomIsRefused() throws {
        let responder = GatedResponder()
        let lane = SlowLane.Limits(threads: 2, waiting: 3)
        try withServer(workers: 2, slowLane: lane, responder: responder) { (path: String, server: Server) throws in
            let count = 8
            let answers = Mutex<[Int: FastCGIClient.Response]>([:])
            let group = DispatchGroup()
            for index in 0..<count {
                // A thread each, not Dispatch's pool: all eight at once, whatever else runs.
                group.enter()
                Thread {
                    if let response = try? FastCGIClient.request(unixPath: path, uri: "/slow/\(index)") {
                        answers.withLock { $0[index] = response }
                    }
                    group.leave()
                }.start()
            }
            // Five fit (two answering, three waiting); three are refused at once.
            #expect(eventually { answers.withLock { $0.count } == count - 5 && server.lane?.inLane == 5 })
            let refused = answers.withLock { Array($0.values) }
            #expect(refused.allSatisfy { $0.status == 503 && $0.headers["retry-after"] == "5" })
            // Both workers are free while every lane thread is held.
            let started = ContinuousClock.now
            #expect(try FastCGIClient.request(unixPath: path, uri: "/fast").text == "answered /fast")
            #expect(ContinuousClock.now - started < .seconds(1))
            for _ in 0..<5 { responder.gate.signal() }
            group.wait()
            let served = answers.withLock { $0.values.filter { $0.status == 200 } }
            #expect(served.count == 5)
            // A lane thread counts its job done just after the answer is written.
            #expect(eventually { server.lane?.inLane == 0 })
        }
    }

    /// At shutdown the queued slow requests are still answered.
    @Test(.timeLimit(.minutes(1))) func shutdownAnswersWhatTheLaneHolds() throws {
        let responder = GatedResponder()
        let answered = Mutex(0)
        let group = DispatchGroup()
        let (_, drained) = try withServer(workers: 1, slowLane: SlowLane.Limits(threads: 1, waiting: 2), responder: responder) {
            path, server in
            for index in 0..<3 {
                group.enter()
                Thread {
                    if (try? FastCGIClient.request(unixPath: path, uri: "/slow/\(index)"))?.status == 200 {
                        answered.withLock { $0 += 1 }
                    }
                    group.leave()
                }.start()
            }
            #expect(eventually { server.lane?.inLane == 3 })
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) {
                for _ in 0..<3 { responder.gate.signal() }
            }
        }
        group.wait()
        #expect(drained)
        #expect(answered.withLock { $0 } == 3)
    }
}
