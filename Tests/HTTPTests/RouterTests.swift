import Testing

@testable import HTTP

@Suite("Router")
struct RouterTests {
    private let router: Router<String> = {
        var router = Router<String>()
        router.add(.get, "/", "home")
        router.add(.get, "/login", "login form")
        router.add(.post, "/login", "login")
        router.add(.post, "/logout", "logout")
        return router
    }()

    @Test func findsTheHandlerForMethodAndPath() throws {
        #expect(try router.handler(for: .get, path: "/login") == "login form")
        #expect(try router.handler(for: .post, path: "/login") == "login")
    }

    @Test func headIsAnsweredByGet() throws {
        #expect(try router.handler(for: .head, path: "/") == "home")
    }

    @Test func unknownPathIsNotFound() {
        #expect(throws: HTTPError.notFound) { try router.handler(for: .get, path: "/nope") }
        #expect(throws: HTTPError.notFound) { try router.handler(for: .get, path: "/login/") }
    }

    @Test func wrongMethodIsMethodNotAllowedWithAllow() {
        #expect(throws: HTTPError.methodNotAllowed(allowed: [.get, .head, .post])) {
            try router.handler(for: .delete, path: "/login")
        }
        do {
            _ = try router.handler(for: .get, path: "/logout")
            Issue.record("GET /logout should not route")
        } catch {
            #expect(error.status == .methodNotAllowed)
            #expect(error.headers["Allow"] == "POST")
        }
    }
}

extension Method {
    static let delete = Method(rawValue: "DELETE")
}
