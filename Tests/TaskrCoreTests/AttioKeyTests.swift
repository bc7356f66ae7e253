import Dispatch
import Foundation
import HTTP
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

@Suite("Attio: disconnect")
struct AttioDisconnectTests {
    @Test func revokesDeletesAndGoesHome() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let token = test.attio.lastIssuedToken
        let response = try browser.post("/integrations/attio/disconnect", [], csrfFrom: "/")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        let revoke = try #require(test.attio.requests(to: "/oauth/revoke").first)
        #expect(try Parameters(urlEncoded: Array(revoke.body ?? Data()))["token"] == token)
        #expect(revoke.timeout <= 3)
        #expect(try test.count("attio_connections") == 0)
        #expect(try browser.get("/").text.contains(#"href="/integrations/attio/connect""#))
    }

    @Test func revokeFailureStillForgetsTheToken() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        test.attio.fail("/oauth/revoke", with: .timeout)
        #expect(try browser.post("/integrations/attio/disconnect", [], csrfFrom: "/").status == .seeOther)
        #expect(try test.count("attio_connections") == 0)
    }

    @Test func needsTheCSRFToken() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        #expect(try browser.post("/integrations/attio/disconnect", [("_csrf", "forged")]).status == .forbidden)
        #expect(try test.count("attio_connections") == 1)
        #expect(test.attio.requests(to: "/oauth/revoke").isEmpty)
    }
}

@Suite("Attio: keys at rest")
struct AttioKeyTests {
    @Test func rotatedKeyStillOpensOldTokensAndCopiesAndReseals() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let oldKey = test.secretKey
        test.secretKey = SecretKey.generate()
        test.settings.previousSecretKeys = [oldKey]
        try await test.restart()
        browser = test.browser(continuing: browser)
        #expect(try browser.get("/").text.contains("No deadline"), "the copy opens under the previous key")
        letCopiesGoStale(test)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(try test.database.texts("SELECT key_id FROM attio_connections") == [test.secretKey.id], "the token re-sealed")
        #expect(try test.database.texts("SELECT key_id FROM task_copies") == [test.secretKey.id], "the new copy sealed under the current key")
        // The old key is no longer needed.
        test.settings.previousSecretKeys = []
        try await test.restart()
        browser = test.browser(continuing: browser)
        #expect(try browser.get("/").text.contains("No deadline"))
    }

    /// During a key change rolling out, a process that does not hold the
    /// new key yet must not delete the tokens another process sealed with it.
    @Test func aTokenAndCopyUnderAnUnknownKeyAreKeptAndConnectOffered() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        let newKey = test.secretKey
        test.secretKey = SecretKey.generate()
        try await test.restart()
        browser = test.browser(continuing: browser)
        let html = try browser.get("/").text
        #expect(html.contains("cannot be read by this server right now"))
        #expect(html.contains(#"href="/integrations/attio/connect""#))
        #expect(!html.contains("http-equiv"), "no reloading while it cannot be read")
        letCopiesGoStale(test)
        try browser.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(try test.count("attio_connections") == 1 && test.count("task_copies") == 1, "kept")
        #expect(test.attio.requests(to: "/v2/tasks").count == 1, "not called with a token it cannot open")
        // The process that holds the key reads both.
        test.secretKey = newKey
        try await test.restart()
        browser = test.browser(continuing: browser)
        #expect(try browser.get("/").text.contains("No deadline"))
    }

    @Test func aTokenCopiedToAnotherUserDoesNotOpenAndIsDropped() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try test.database.execute(
            """
            INSERT INTO attio_connections (user_id, key_id, sealed_token, connected_at)
            SELECT 2, key_id, sealed_token, connected_at FROM attio_connections WHERE user_id = 1
            """)
        #expect(try bob.get("/").text.contains("Fetching your tasks"))
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(test.attio.requests(to: "/v2/tasks").count == 1, "ann's first copy only")
        #expect(try test.integers("SELECT user_id FROM attio_connections") == [1])
        #expect(try bob.get("/").text.contains(#"href="/integrations/attio/connect""#))
        #expect(test.logs.text.contains("the stored Attio token of user 2 opens with none of the configured keys; dropping it"))
    }

    @Test func keyFileIsCreatedOwnerOnlyOnceAndReused() async throws {
        try await withTemporaryDirectory { directory in
            let path = SecretKeyFile.path(forDatabase: directory.appendingPathComponent("taskr.sqlite3").path)
            #expect(path.hasSuffix("taskr.sqlite3.key"))
            let logs = LogCapture()
            let first = try SecretKeyFile.loadOrCreate(at: path, logger: logs.logger)
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(logs.text.contains("TASKR_SECRET_KEY is not set: generated a key"))
            #expect(!logs.text.contains(first.base64URL))
            let second = try SecretKeyFile.loadOrCreate(at: path, logger: logs.logger)
            #expect(second == first)
            try "not a key".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: KeyFileError.self) { try SecretKeyFile.loadOrCreate(at: path, logger: logs.logger) }
        }
    }

    /// A key file that is there but cannot be read is an error, not a
    /// reason to make another (once a recursion without end). A folder in
    /// its place cannot be read even by root, as CI runs.
    @Test func unreadableKeyFileFailsAtOnce() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("taskr.sqlite3.key").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            #expect(throws: KeyFileError.self) { try SecretKeyFile.loadOrCreate(at: path, logger: LogCapture().logger) }
        }
    }

    /// Processes starting together with no key (`spawn-fcgi -F N`) must all
    /// end up with the one key that was written, never a half-written file.
    @Test func processesStartingTogetherAgreeOnOneKey() async throws {
        try await withTemporaryDirectory { directory in
            for round in 0..<10 {
                let path = directory.appendingPathComponent("race-\(round).sqlite3.key").path
                let keys = Mutex<[String]>([])
                DispatchQueue.concurrentPerform(iterations: 8) { _ in
                    let key = try? SecretKeyFile.loadOrCreate(at: path, logger: LogCapture().logger)
                    keys.withLock { $0.append(key?.id ?? "failed") }
                }
                let ids = keys.withLock { $0 }
                #expect(!ids.contains("failed"))
                #expect(Set(ids).count == 1)
                #expect(try SecretKeyFile.loadOrCreate(at: path, logger: LogCapture().logger).id == ids.first)
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("race-\(round).") }
                #expect(leftovers == ["race-\(round).sqlite3.key"])
            }
        }
    }
}
