import Testing

@testable import FastCGI

/// What the access log keeps of a request target: the path, never the query.
@Suite("The access log's path")
struct LoggablePathTests {
    @Test(arguments: [
        ("/integrations/attio/callback?code=secret&state=s", "/integrations/attio/callback"),
        // "?" + COMBINING ACUTE ACCENT is one Character that is not "?":
        // cut by bytes, the query goes all the same.
        ("/x?\u{301}code=secret", "/x"),
        ("/\u{301}?code=secret", "/\u{301}"),
        ("/plain", "/plain"),
    ])
    func theQueryNeverReachesTheLog(target: String, logged: String) {
        let path = Server.loggablePath(target)
        #expect(Array(path.utf8) == Array(logged.utf8))
        #expect(!path.utf8.contains(UInt8(ascii: "?")))
    }

    @Test func aLongPathIsCutAtAScalarBoundary() {
        let path = Server.loggablePath("/" + String(repeating: "é", count: 300) + "?code=secret")
        #expect(path.hasSuffix("…"))
        #expect(path.utf8.count <= 200 + "…".utf8.count)
        #expect(String(validating: Array(path.utf8), as: UTF8.self) != nil)
        #expect(!path.contains("code"))
    }
}
