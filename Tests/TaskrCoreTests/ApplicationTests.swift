import Foundation
import HTTP
import Testing

@testable import TaskrCore

@Suite("Routes: home, health, errors")
struct ApplicationTests {
    @Test func homeLoggedOutSaysSoAndLinksSignupAndLogin() async throws {
        try await withApplication { app, _ in
            let response = try app.get("/")
            #expect(response.status == .ok)
            #expect(response.headers["Content-Type"] == "text/html; charset=utf-8")
            #expect(response.text.contains("You are not logged in"))
            #expect(response.text.contains(#"href="/signup""#))
            #expect(response.text.contains(#"href="/login""#))
            #expect(response.text.contains(#"<link rel="stylesheet" href="/static/taskr.css">"#))
        }
    }

    @Test func headIsAnsweredLikeGet() async throws {
        try await withApplication { app, _ in
            let response = app.respond(to: try Request(method: .head, target: "/"))
            #expect(response.status == .ok)
        }
    }

    @Test func healthzIsOkWhenTheDatabaseAnswers() async throws {
        try await withApplication { app, _ in
            let response = try app.get("/healthz")
            #expect(response.status == .ok)
            #expect(response.text == "ok\n")
        }
    }

    @Test func healthzIs503WhenTheDatabaseDoesNotAnswer() async throws {
        let clock = ManualClock()
        try await withApplication(busyTimeout: 0.2, clock: clock) { app, path in
            let locked = try whileDatabaseIsLocked(path) { try app.get("/healthz") }
            #expect(locked.status == .serviceUnavailable)
            // And it recovers once the lock is gone (at the next check).
            clock.advance(by: 1)
            #expect(try app.get("/healthz").status == .ok)
        }
    }

    @Test func healthzChecksTheDatabaseAtMostOnceASecond() async throws {
        let clock = ManualClock()
        try await withApplication(busyTimeout: 0.2, clock: clock) { app, path in
            #expect(try app.get("/healthz").status == .ok)
            // Within the interval the last answer stands, lock or not.
            let withinInterval = try whileDatabaseIsLocked(path) { try app.get("/healthz") }
            #expect(withinInterval.status == .ok)
            clock.advance(by: 1)
            let nextCheck = try whileDatabaseIsLocked(path) { try app.get("/healthz") }
            #expect(nextCheck.status == .serviceUnavailable)
        }
    }

    @Test func unknownPathIsA404Page() async throws {
        try await withApplication { app, _ in
            let response = try app.get("/nope")
            #expect(response.status == .notFound)
            #expect(response.headers["Content-Type"] == "text/html; charset=utf-8")
            #expect(response.text.contains("There is no page at this address."))
        }
    }

    @Test func wrongMethodIsA405PageWithAllow() async throws {
        try await withApplication { app, _ in
            let response = app.respond(to: try Request(method: .post, target: "/healthz"))
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers["Allow"] == "GET, HEAD")
            #expect(response.text.contains("Method Not Allowed"))
        }
    }

    @Test func decodingFailureIsRenderedAsItsPage() async throws {
        try await withApplication { app, _ in
            let response = app.errorPage(for: .contentTooLarge)
            #expect(response.status == .contentTooLarge)
            #expect(response.text.contains("larger than 64 KiB"))
        }
    }

    @Test func errorMessagesAreHTMLEscaped() async throws {
        try await withApplication { app, _ in
            // On bytes, with marks that fuse into one Character with `<`, `"` and `&`.
            let response = app.errorPage(for: .badRequest(Hostile.tag + Hostile.quote + Hostile.ampersand))
            expectEscaped(response.text, [Hostile.all[0], Hostile.all[2], Hostile.all[4]])
        }
    }

    @Test func unexpectedErrorIsAGeneric500PageWithoutDetails() async throws {
        struct SecretError: Error { let detail = "password=hunter2" }
        try await withApplication { app, _ in
            let request = try Request(method: .get, target: "/")
            let response = app.respond(to: request) { _, _ in throw SecretError() }
            #expect(response.status == .internalServerError)
            #expect(response.text.contains("Something went wrong"))
            #expect(!response.text.contains("hunter2"))
            // The application lives on.
            #expect(app.respond(to: request).status == .ok)
        }
    }
}
