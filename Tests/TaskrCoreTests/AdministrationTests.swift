import Foundation
import HTTP
import Sodium
import Testing

@testable import TaskrCore

extension TestApp {
    /// The administration commands' services on this app's database and key.
    func administration(key: SecretKey?? = .none) throws -> Administration {
        try Administration(
            database: database, settings: settings, secretKey: key ?? secretKey, http: attio, clock: clock, logger: logs.logger)
    }

    func keyIDs() throws -> [String] {
        try database.texts("SELECT key_id FROM attio_connections ORDER BY user_id")
    }
}

@Suite("Administration commands")
struct AdministrationTests {
    @Test func resealMovesEveryTokenToTheCurrentKeyAndTasksStillShow() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try connect(&bob)
        let old = test.secretKey
        test.secretKey = SecretKey.generate()
        test.settings.previousSecretKeys = [old]
        try await test.restart()

        let report = try test.administration().reseal()
        #expect(report.currentKeyID == test.secretKey.id)
        #expect(report.tokens.resealed == [old.id: 2])
        #expect(report.tokens.alreadyCurrent == 0 && report.tokens.unopenable.isEmpty && report.tokens.changedMeanwhile.isEmpty)
        #expect(report.taskCopies.resealed == [old.id: 2])
        #expect(try test.database.texts("SELECT key_id FROM task_copies") == [test.secretKey.id, test.secretKey.id])
        #expect(try test.keyIDs() == [test.secretKey.id, test.secretKey.id])

        // The old key can go now: the tokens open under the new one alone.
        test.settings.previousSecretKeys = []
        try await test.restart()
        ann = test.browser(continuing: ann)
        #expect(try ann.get("/").text.contains("No deadline"), "ann's copy opens under the new key alone")
        letCopiesGoStale(test)
        try ann.get("/")
        #expect(try test.app.refresher.refreshDue() == 1)
        #expect(test.attio.requests(to: "/v2/tasks").last?.headers["Authorization"] == "Bearer attio-token-1")
        let again = try test.administration().reseal()
        #expect(again.tokens.resealed.isEmpty && again.tokens.alreadyCurrent == 2)
        #expect(again.taskCopies.resealed.isEmpty && again.taskCopies.alreadyCurrent == 2)
    }

    @Test func resealLeavesTokensNoKeyOpensAndSaysWhose() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        try connect(&bob)
        // ann's under a key nobody configured, bob's under the right id but tampered.
        try test.database.execute("UPDATE attio_connections SET key_id = 'ffffffffffffffff' WHERE user_id = 1")
        try test.database.execute("UPDATE attio_connections SET sealed_token = $1 WHERE user_id = 2", [.blob([UInt8](repeating: 0, count: 64))])
        let before = try test.database.rows("SELECT * FROM attio_connections ORDER BY user_id")
        let report = try test.administration().reseal()
        #expect(report.tokens.unopenable == [1, 2])
        #expect(report.tokens.resealed.isEmpty)
        #expect(try test.database.rows("SELECT * FROM attio_connections ORDER BY user_id") == before)

        let check = try test.administration().check()
        #expect(check.problems == ["1 Attio token(s) under key ffffffffffffffff, which no configured key matches"])
    }

    @Test func resealWithoutAKeyRefuses() async throws {
        let test = try await TestApp()
        #expect(throws: AdministrationError.self) { try test.administration(key: .some(nil)).reseal() }
    }

    @Test func aTokenChangedMeanwhileIsNotOverwritten() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        let store = test.database.stores.attioConnections
        let stale = TokenSealer.Sealed(keyID: test.secretKey.id, bytes: [1, 2, 3])
        let fresh = TokenSealer.Sealed(keyID: test.secretKey.id, bytes: [4, 5, 6])
        #expect(try store.replaceSealedToken(userID: 1, stale, with: fresh) == false)
        #expect(try store.connection(userID: 1)?.sealedToken != fresh)
    }

    @Test func checkCountsUsersLiveSessionsAndTokensPerKey() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        var bob = try loggedIn(test, "bob")
        let old = test.secretKey
        test.secretKey = SecretKey.generate()
        test.settings.previousSecretKeys = [old]
        try await test.restart()
        // bob's session is used, ann's goes idle past the limit.
        test.clock.advance(by: test.settings.sessionPolicy.idleTimeout - 10)
        try bob.get("/")
        test.clock.advance(by: 20)

        let report = try test.administration().check()
        #expect(report.problems.isEmpty)
        #expect(report.migrations.pending.isEmpty && report.migrations.version == "v7-webhooks")
        #expect(report.users == 2)
        #expect(report.liveSessions == 1)
        #expect(report.connectionsByKey == [.init(keyID: old.id, role: "previous", count: 1)])
        #expect(report.taskCopiesByKey == [.init(keyID: old.id, role: "previous", count: 1)])
        #expect(report.databaseAnswers)
    }

    @Test func unlockClearsTheNamesCountersAndTheOwnerGetsIn() async throws {
        let test = try await TestApp()
        _ = try loggedIn(test, "ann")
        var guesser = test.browser()
        for _ in 0..<LoginThrottle.pairFreeFailures { try guesser.login("ann", "wrong guess") }
        #expect(try guesser.login("ann", "correct horse").status == .tooManyRequests)

        let (exists, cleared) = try test.administration().unlock(username: "ANN")
        #expect(exists)
        #expect(cleared == 2, "the pair's counter and the name's")
        #expect(try guesser.login("ann", "correct horse").status == .seeOther)
        #expect(try test.administration().unlock(username: "nobody") == (false, 0))
    }

    @Test func deleteUserRevokesAttioAndDeletesEveryRow() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        _ = try loggedIn(test, "bob")
        #expect(try test.administration().deleteUser(username: "Ann") == 1)
        #expect(test.attio.requests(to: "/oauth/revoke").count == 1)
        #expect(try test.count("users") == 1)
        #expect(try test.count("attio_connections") == 0)
        #expect(try test.database.integers("SELECT count(*) FROM sessions WHERE user_id = 1").first == 0)
        #expect(try ann.get("/").text.contains("You are not logged in"))
        #expect(try test.administration().deleteUser(username: "ann") == nil)
    }

    @Test func userSummariesListEveryAccountOldestFirst() async throws {
        let test = try await TestApp()
        var ann = try loggedIn(test, "ann")
        try connect(&ann)
        _ = try loggedIn(test, "Bob")
        let users = try test.administration().userSummaries()
        #expect(users.map(\.username) == ["ann", "Bob"])
        #expect(users.map(\.attioKeyID) == [test.secretKey.id, nil])
    }
}
