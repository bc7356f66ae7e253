import Foundation
import HTTP
import Testing

@testable import TaskrCore

/// How many SQL statements a page costs: counted, not timed, so a second
/// query on the page path cannot creep back in unnoticed. Each connection's
/// statements are traced by SQLite itself (`sqlite3_trace_v2`, through
/// one set of SQLite options for every connection), each thread's own included.
@Suite("Statements per page")
struct StatementCountTests {
    @Test func theLoggedInHomePageCostsOneStatement() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("counted", "a long enough password")
        _ = try browser.get("/")  // opens this thread's reader, which runs its own set-up
        test.statements.removeAll()
        for _ in 0..<5 {
            let page = try browser.get("/")
            #expect(page.status == .ok)
            #expect(String(decoding: page.body, as: UTF8.self).contains("logged in as"))
        }
        // The session, its user and the Attio connection: one SELECT per page.
        #expect(test.statements.all.count == 5, "\(test.statements.all)")
        #expect(test.statements.all.allSatisfy { $0.hasPrefix("SELECT") && $0.contains("JOIN users") })
    }

    @Test func theConnectedHomePageCostsOneStatementToo() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("connected", "a long enough password")
        try connect(&browser)
        _ = try browser.get("/")
        test.statements.removeAll()
        for _ in 0..<3 {
            let page = try browser.get("/")
            #expect(String(decoding: page.body, as: UTF8.self).contains("<li"))
        }
        // The tasks come from Attio (or the short cache); the token, workspace
        // and any pause came with the session row.
        #expect(test.statements.all.count == 3, "\(test.statements.all)")
    }

    @Test func lastSeenIsWrittenAtMostOncePerTouchInterval() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("touched", "a long enough password")
        _ = try browser.get("/")
        test.clock.advance(by: 61)  // past SessionPolicy.touchInterval (60 s at most)
        test.statements.removeAll()
        _ = try browser.get("/")
        _ = try browser.get("/")
        let updates = test.statements.all.filter { $0.hasPrefix("UPDATE sessions SET last_seen_at") }
        #expect(updates.count == 1, "\(test.statements.all)")
    }

    @Test(arguments: ["/", "/login", "/signup", "/logout"])
    func aLoggedOutPageRunsNoStatement(path: String) async throws {
        let test = try await TestApp()
        var browser = test.browser()
        _ = try browser.get(path)  // opens nothing: no cookie, no read
        test.statements.removeAll()
        let page = try browser.get(path)
        #expect(page.status == .ok)
        #expect(test.statements.all.isEmpty, "\(test.statements.all)")
    }
}
