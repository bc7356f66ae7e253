import Curl
import Dispatch
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

/// Runs `body` with a loopback server answering by `reply`, stopped afterwards.
private func withServer<T>(
    _ reply: @escaping @Sendable (LoopbackHTTPServer.Received) -> LoopbackHTTPServer.Reply,
    _ body: (LoopbackHTTPServer) throws -> T
) throws -> T {
    let server = try LoopbackHTTPServer(reply: reply)
    defer { server.stop() }
    return try body(server)
}

private func ok(_ text: String = "ok") -> LoopbackHTTPServer.Reply {
    .answer(status: 200, head: ["Content-Type: text/plain"], body: Data(text.utf8))
}

private func request(_ url: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 5)
    -> OutboundRequest
{
    OutboundRequest(method: method, url: URL(string: url)!, headers: headers, body: body, timeout: timeout)
}

/// The error `body` threw, or nil.
private func thrown(_ body: () throws -> some Any) -> HTTPClientError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? HTTPClientError
    }
}

@Suite("Outbound HTTP: the libcurl client")
struct CurlClientTests {
    @Test func sendsMethodHeadersAndBodyAndReturnsTheAnswer() throws {
        try withServer({ _ in .answer(status: 201, head: ["X-Request-Id: abc", "Content-Type: application/json"], body: Data(#"{"a":1}"#.utf8)) }) {
            server in
            let response = try CurlClient().send(
                request(
                    "\(server.url)/oauth/token?x=1", method: "POST",
                    headers: ["Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer t0ken"],
                    body: Data("code=a%26b&grant_type=authorization_code".utf8)))
            #expect(response.status == 201)
            #expect(response.headers["x-request-id"] == "abc")
            #expect(response.headers["content-type"] == "application/json")
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"a":1}"#)

            let received = try #require(server.received.first)
            #expect(received.method == "POST")
            #expect(received.target == "/oauth/token?x=1")
            #expect(received.headers["authorization"] == "Bearer t0ken")
            #expect(received.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(received.headers["expect"] == nil)
            #expect(String(decoding: received.body, as: UTF8.self) == "code=a%26b&grant_type=authorization_code")
        }
    }

    @Test func aLargeBodyGoesWithoutWaitingForA100Continue() throws {
        // libcurl asks "Expect: 100-continue" before large bodies and then
        // waits a second for an answer many servers never send.
        let body = Data(repeating: UInt8(ascii: "a"), count: 2 << 20)
        try withServer({ _ in ok() }) { server in
            _ = try CurlClient().send(request("\(server.url)/upload", method: "POST", body: body))
            let received = try #require(server.received.first)
            #expect(received.headers["expect"] == nil)
            #expect(received.body == body)
        }
    }

    @Test func getSendsNoBody() throws {
        try withServer({ _ in ok() }) { server in
            let response = try CurlClient().send(request("\(server.url)/v2/self", headers: ["Accept": "application/json"]))
            #expect(response.status == 200)
            let received = try #require(server.received.first)
            #expect(received.method == "GET")
            #expect(received.headers["accept"] == "application/json")
            #expect(received.headers["content-length"] == nil)
            #expect(received.body.isEmpty)
        }
    }

    @Test func errorStatusesAreAnswersNotFailures() throws {
        try withServer({ _ in .answer(status: 429, head: ["Retry-After: 30"], body: Data("slow down".utf8)) }) { server in
            let response = try CurlClient().send(request("\(server.url)/v2/tasks"))
            #expect(response.status == 429)
            #expect(response.headers["retry-after"] == "30")
        }
    }

    @Test func backToBackRequestsReuseOneConnection() throws {
        try withServer({ _ in ok() }) { server in
            let client = CurlClient()
            for _ in 0..<5 { _ = try client.send(request("\(server.url)/v2/tasks")) }
            #expect(server.received.count == 5)
            #expect(Set(server.received.map(\.connection)).count == 1)
        }
    }

    @Test func concurrentRequestsAllGetTheirOwnAnswer() throws {
        try withServer({ received in ok(received.target) }) { server in
            let client = CurlClient()
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 64) { index in
                do {
                    let body = String(decoding: try client.send(request("\(server.url)/n/\(index)")).body, as: UTF8.self)
                    if body != "/n/\(index)" { failures.withLock { $0.append("\(index): got \(body)") } }
                } catch {
                    failures.withLock { $0.append("\(index): \(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(server.received.count == 64)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aHangingServerTimesOutWithinTheRequestTimeout() throws {
        // A time limit instead of a timed assertion: without the timeout the
        // call would wait for the hanging server for ever, and the test fail.
        try withServer({ _ in .hang }) { server in
            #expect(thrown { try CurlClient().send(request("\(server.url)/v2/tasks", timeout: 0.5)) } == .timedOut)
        }
    }

    @Test func aRefusedConnectionFailsWithoutBeingATimeout() throws {
        let server = try LoopbackHTTPServer { _ in ok() }
        server.stop()
        let error = try #require(thrown { try CurlClient().send(request("\(server.url)/v2/tasks")) })
        #expect(error != .timedOut)
        #expect(error.description.contains("connect"))
    }

    @Test func anAnswerLargerThanTheLimitFailsWhetherItsLengthIsAnnouncedOrNot() throws {
        let big = Data(repeating: UInt8(ascii: "x"), count: 8192)
        for announced in [true, false] {
            try withServer({ _ in .answer(status: 200, body: big, contentLength: announced) }) { server in
                let client = CurlClient(options: .init(maxResponseBytes: 4096))
                let error = try #require(thrown { try client.send(request("\(server.url)/v2/tasks")) })
                #expect(error.description.contains("larger than 4096"), "announced: \(announced)")
                // The same client still works for answers within the limit.
                let small = CurlClient(options: .init(maxResponseBytes: 8192))
                let response = try small.send(request("\(server.url)/v2/tasks"))
                #expect(response.body.count == 8192)
            }
        }
    }

    @Test func redirectsAreNotFollowed() throws {
        try withServer({ received in
            received.target == "/start" ? .answer(status: 302, head: ["Location: /elsewhere"]) : ok()
        }) { server in
            let response = try CurlClient().send(request("\(server.url)/start", headers: ["Authorization": "Bearer t0ken"]))
            #expect(response.status == 302)
            #expect(server.received.map(\.target) == ["/start"])
        }
    }

    @Test func repeatedResponseHeadersAreJoined() throws {
        try withServer({ _ in .answer(status: 200, head: ["Vary: Accept", "vary: Cookie"]) }) { server in
            let response = try CurlClient().send(request(server.url + "/"))
            #expect(response.headers["vary"] == "Accept, Cookie")
        }
    }

    @Test func aHeaderThatWouldSplitTheRequestIsRefusedBeforeSending() throws {
        try withServer({ _ in ok() }) { server in
            let error = thrown {
                try CurlClient().send(request("\(server.url)/v2/tasks", headers: ["Authorization": "Bearer a\r\nX-Injected: 1"]))
            }
            #expect(error?.description.contains("header") == true)
            #expect(server.received.isEmpty)
        }
    }

    @Test func otherSchemesAreRefused() throws {
        for url in ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/"] {
            #expect(thrown { try CurlClient().send(request(url)) } != nil, "\(url)")
        }
    }
}
