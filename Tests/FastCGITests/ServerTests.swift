import Foundation
import HTTP
import Synchronization
import Testing

@testable import FastCGI

@Suite("FastCGI server over a real socket")
struct ServerTests {
    @Test func mapsParamsAndStdinToTheRequest() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let response = try FastCGIClient.request(
                unixPath: path,
                method: "POST",
                uri: "/caf%C3%A9?x=1&y=a+b",
                params: [
                    "HTTPS": "on",
                    "CONTENT_TYPE": "application/x-www-form-urlencoded",
                    "HTTP_X_FORWARDED_PROTO": "https",
                    "HTTP_COOKIE": "taskr_session=abc",
                ],
                body: Array("username=ann".utf8)
            )
            #expect(response.status == 200)
            let lines = Set(response.text.split(separator: "\n").map(String.init))
            #expect(
                lines.isSuperset(of: [
                    "method=POST", "path=/café", "secure=true", "remote=127.0.0.1", "body=username=ann",
                    "query.x=1", "query.y=a b", "header.Content-Type=application/x-www-form-urlencoded",
                    "header.X-Forwarded-Proto=https", "cookie.taskr_session=abc",
                ]))
            #expect(response.headers["content-length"] == String(response.body.count))
        }
    }

    @Test func plainHTTPIsNotSecure() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let response = try FastCGIClient.request(unixPath: path, uri: "/")
            #expect(response.text.contains("secure=false"))
        }
    }

    @Test func oversizedBodyIs413WithoutReadingIt() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let client = try FastCGIClient(unixPath: path)
            try client.begin(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/", "CONTENT_LENGTH": String(10 << 20)])
            // Only a few bytes of the declared 10 MiB: the answer must not wait for the rest.
            try client.sendStdin(Array("a=1".utf8))
            let response = try client.readResponse()
            #expect(response.status == 413)
        }
    }

    @Test func bodyOfExactlyTheLimitIsAccepted() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let body = [UInt8](repeating: UInt8(ascii: "a"), count: Request.maximumBodySize)
            let response = try FastCGIClient.request(unixPath: path, method: "POST", uri: "/", body: body)
            #expect(response.status == 200)
            #expect(try FastCGIClient.request(unixPath: path, method: "POST", uri: "/", body: body + [0x61]).status == 413)
        }
    }

    @Test func invalidUTF8InTheRequestURIIs400() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let client = try FastCGIClient(unixPath: path)
            try client.begin(params: [("REQUEST_METHOD", Array("GET".utf8)), ("REQUEST_URI", [0x2F, 0xFF, 0xFE])])
            try client.endStdin()
            #expect(try client.readResponse().status == 400)
            #expect(try FastCGIClient.request(unixPath: path, uri: "/%zz").status == 400)
        }
    }

    @Test func bodyShorterThanDeclaredIs400() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let client = try FastCGIClient(unixPath: path)
            try client.begin(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/", "CONTENT_LENGTH": "10"])
            try client.sendStdin(Array("abc".utf8))
            try client.endStdin()
            #expect(try client.readResponse().status == 400)
        }
    }

    @Test func headGetsHeadersWithoutBody() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let response = try FastCGIClient.request(unixPath: path, method: "HEAD", uri: "/")
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            #expect(Int(response.headers["content-length"] ?? "0")! > 0)
        }
    }

    @Test func headerInjectionBecomes500() throws {
        try withServer(responder: EchoResponder()) { path, _ in
            let response = try FastCGIClient.request(unixPath: path, uri: "/inject")
            #expect(response.status == 500)
            #expect(response.headers["set-cookie"] == nil)
        }
    }

    @Test func workersAnswerConcurrently() throws {
        let workers = 4
        try withServer(workers: workers, responder: BarrierResponder(expected: workers)) { path, _ in
            let answeredTogether = Atomic<Int>(0)
            // One client thread per worker (concurrentPerform would stop at the core count).
            let done = DispatchGroup()
            for _ in 0..<workers {
                done.enter()
                Thread {
                    if (try? FastCGIClient.request(unixPath: path, uri: "/").status) == 200 {
                        answeredTogether.add(1, ordering: .relaxed)
                    }
                    done.leave()
                }.start()
            }
            done.wait()
            #expect(answeredTogether.load(ordering: .relaxed) == workers)
        }
    }

    /// nginx's `fastcgi_keep_conn on`: several requests on one connection,
    /// and while it idles between them, the only worker answers others.
    @Test(.timeLimit(.minutes(1))) func aKeptConnectionServesManyRequestsWithoutHoldingAWorker() throws {
        try withServer(workers: 1, responder: EchoResponder()) { path, _ in
            let kept = try FastCGIClient(unixPath: path)
            for round in 0..<3 {
                try kept.begin(
                    params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/kept/\(round)", "SCRIPT_NAME": ""], keepConnection: true)
                try kept.endStdin()
                #expect(try kept.readResponse().text.contains("path=/kept/\(round)"))
                let other = try FastCGIClient.request(unixPath: path, uri: "/other/\(round)")
                #expect(other.text.contains("path=/other/\(round)"))
            }
            // The web server closes the kept connection: the server lets it go
            // and goes on answering.
            _ = consume kept
            #expect(try FastCGIClient.request(unixPath: path, uri: "/after").text.contains("path=/after"))
        }
    }

    /// Without `FCGI_KEEP_CONN` the connection ends with its one response.
    @Test func aConnectionNotKeptIsClosedAfterItsResponse() throws {
        try withServer(workers: 1, responder: EchoResponder()) { path, _ in
            let client = try FastCGIClient(unixPath: path)
            try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/once", "SCRIPT_NAME": ""])
            try client.endStdin()
            #expect(try client.readResponse().status == 200)
            #expect(client.isClosedByServer())
        }
    }

    // Time limits: a broken drain would otherwise hang `swift test`.
    @Test(.timeLimit(.minutes(1))) func shutdownLetsTheRequestInFlightFinish() throws {
        let (response, drained) = try withServer(responder: EchoResponder()) { path, server in
            let client = try FastCGIClient(unixPath: path)
            try client.begin(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/", "CONTENT_LENGTH": "10"])
            try client.sendStdin(Array("hello".utf8))
            #expect(eventually { server.inFlight.load(ordering: .relaxed) == 1 })
            server.shutdown()
            try client.sendStdin(Array("world".utf8))
            try client.endStdin()
            return try client.readResponse()
        }
        #expect(response.status == 200)
        #expect(response.text.contains("body=helloworld"))
        #expect(drained)
    }

    @Test(.timeLimit(.minutes(1))) func drainTimeoutCapsTheWait() throws {
        var client: FastCGIClient?
        let (_, drained) = try withServer(drainTimeout: .milliseconds(200), responder: EchoResponder()) { path, server in
            let stalled = try FastCGIClient(unixPath: path, timeout: 1)
            try stalled.begin(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/", "CONTENT_LENGTH": "10"])
            #expect(eventually { server.inFlight.load(ordering: .relaxed) == 1 })
            client = stalled  // keeps the request stalled past shutdown
        }
        #expect(!drained, "run() gave up waiting")
        // The stalled request was never answered: the server stopped without it.
        #expect(throws: (any Error).self) { try client?.readResponse() }
    }
}

@Suite("CGI parameter names")
struct ParameterNameTests {
    @Test(arguments: [
        ("USER_AGENT", "User-Agent"), ("X_FORWARDED_FOR", "X-Forwarded-For"), ("DNT", "Dnt"), ("COOKIE", "Cookie"),
        ("SEC_FETCH_SITE", "Sec-Fetch-Site"),
    ])
    func headerParametersGetTheirConventionalSpelling(_ parameter: String, _ header: String) {
        #expect(RequestDecoder.displayName(ofParameter: parameter) == header)
    }
}

@Suite("Listening sockets")
struct ListeningSocketTests {
    @Test func unixSocketGetsItsModeAndIsRemovedAtClose() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/s.sock"
            var socket: ListeningSocket? = try ListeningSocket.open(.unix(path: path, mode: 0o660))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect(attributes[.posixPermissions] as? Int == 0o660)
            #expect(attributes[.type] as? FileAttributeType == .typeSocket)
            _ = socket
            socket = nil
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func staleSocketIsReplaced() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/s.sock"
            try makeStaleSocket(at: path)
            let socket = try ListeningSocket.open(.unix(path: path, mode: 0o600))
            #expect(socket.fd >= 0)
        }
    }

    @Test func liveSocketIsRefused() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/s.sock"
            let live = try ListeningSocket.open(.unix(path: path, mode: 0o600))
            #expect(throws: FastCGIError.socketInUse(path)) { try ListeningSocket.open(.unix(path: path, mode: 0o600)) }
            withExtendedLifetime(live) {}
        }
    }

    @Test func regularFileIsNeverReplaced() throws {
        try withTemporaryPath { directory in
            let path = "\(directory)/notes.txt"
            try "keep me".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: FastCGIError.notASocket(path)) { try ListeningSocket.open(.unix(path: path, mode: 0o600)) }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
        }
    }

    @Test(arguments: [
        ("127.0.0.1:9000", ListenTarget.tcp(host: "127.0.0.1", port: 9000)),
        ("[::1]:9001", .tcp(host: "::1", port: 9001)),
        ("localhost:80", .tcp(host: "localhost", port: 80)),
    ])
    func parsesBindAddresses(_ text: String, _ expected: ListenTarget) throws {
        #expect(try ListenTarget.tcp(parsing: text) == expected)
    }

    @Test(arguments: ["9000", ":9000", "host:", "host:0", "host:70000", "host:port"])
    func rejectsBadBindAddresses(_ text: String) {
        #expect(throws: FastCGIError.invalidAddress(text)) { try ListenTarget.tcp(parsing: text) }
    }
}

/// Leaves a socket file behind with nobody listening, as a crash would.
func makeStaleSocket(at path: String) throws {
    close(try boundUnixSocket(at: path))
}
