import Dispatch
import Foundation
import Postgres
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

/// Every store protocol, on both engines from one set of tests, so SQLite
/// and PostgreSQL cannot drift (DESIGN: "Storage: one door, two engines").
@Suite("Storage: both engines")
struct StoreSuiteTests {
    private let now = Date(unixTime: 1_800_000_000)

    /// A session is bound to the credential it was verified against: once
    /// the password hash changed, a log-in that checked the old one gets no
    /// session (and changes nothing), in the one statement that inserts it.
    @Test(arguments: StoreEngine.available)
    func aSessionIsMadeOnlyWhileItsCredentialIsCurrent(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try makeUser(stores, "ada")
            let kept = try makeSession(stores, ada, 1)
            // The racing log-in verified "hash-ada"; the change commits first.
            #expect(try stores.users.changePassword(userID: ada.id, to: "changed", keepingSession: kept.idHash) == 0)
            let racing = Session(idHash: SHA256.hash([2]), userID: ada.id, csrfToken: "c", createdAt: now, lastSeenAt: now)
            #expect(try stores.sessions.insert(racing, replacing: kept.idHash, credential: "hash-ada") == false)
            #expect(try stores.sessions.session(idHash: racing.idHash) == nil)
            // Nothing changed: the replaced session is still there (one transaction).
            #expect(try stores.sessions.session(idHash: kept.idHash) != nil)
            #expect(try stores.sessions.insert(racing, replacing: nil, credential: "changed"))
            #expect(try stores.sessions.sessions(userID: ada.id).count == 2)
        }
    }

    private func makeUser(_ stores: Stores, _ name: String) throws -> User {
        try #require(try stores.users.create(username: Username(validating: name), passwordHash: "hash-\(name)", at: now))
    }

    private func makeSession(_ stores: Stores, _ user: User, _ tag: UInt8, lastSeen: Date? = nil) throws -> Session {
        let session = Session(
            idHash: SHA256.hash([tag]), userID: user.id, csrfToken: "csrf-\(tag)", createdAt: now, lastSeenAt: lastSeen ?? now,
            clientLabel: "Firefox on Linux")
        #expect(try stores.sessions.insert(session, replacing: nil, credential: user.passwordHash))
        return session
    }

    /// A sealed token with every byte value in it (NUL included): bytea
    /// and BLOB must carry it unchanged.
    private let everyByte = TokenSealer.Sealed(keyID: "k1", bytes: (0...255).map(UInt8.init))

    @Test(arguments: StoreEngine.available)
    func migrationsAreAllAppliedAndRunningThemAgainDoesNothing(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let state = try database.migrationState()
            #expect(state.pending.isEmpty)
            #expect(state.unknown.isEmpty)
            #expect(state.version == "v7-webhooks")
            #expect(try database.migrate() == [])
            #expect(database.isAvailable())
        }
    }

    @Test(arguments: StoreEngine.available)
    func usersAreCreatedOncePerNameAndFoundByKey(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try makeUser(stores, "Ada 🧮")
            #expect(try stores.users.create(username: Username(validating: "ADA 🧮"), passwordHash: "x", at: now) == nil)
            let found = try #require(try stores.users.user(usernameKey: Username.key(for: "ada 🧮")))
            #expect(found == ada)
            #expect(found.username == "Ada 🧮")
            #expect(try stores.users.replacePasswordHash(userID: ada.id, "stale-hash", with: "other-hash") == false)
            #expect(try stores.users.replacePasswordHash(userID: ada.id, "hash-Ada 🧮", with: "new-hash"))
            #expect(try stores.users.user(usernameKey: Username.key(for: "Ada 🧮"))?.passwordHash == "new-hash")
            #expect(try stores.users.user(usernameKey: "nobody") == nil)
            let bob = try makeUser(stores, "bob")
            #expect(bob.id > ada.id)
        }
    }

    @Test(arguments: StoreEngine.available)
    func thePageReadBringsTheSessionItsUserAndTheConnectionTogether(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try makeUser(stores, "ada")
            let session = try makeSession(stores, ada, 1)
            var record = try #require(try stores.sessions.session(idHash: session.idHash))
            #expect(record.user == ada)
            #expect(record.session.csrfToken == session.csrfToken)
            #expect(record.session.lastSeenAt == now)
            #expect(record.attio == nil)

            let connection = AttioConnection(userID: ada.id, sealedToken: everyByte, workspaceID: nil, workspaceName: "Wörkspace ✓", connectedAt: now)
            try stores.attioConnections.save(connection)
            try stores.attioConnections.pause(userID: ada.id, until: now.addingTimeInterval(30))
            record = try #require(try stores.sessions.session(idHash: session.idHash))
            #expect(record.attio?.sealedToken == everyByte)
            #expect(record.attio?.workspaceID == nil)
            #expect(record.attio?.workspaceName == "Wörkspace ✓")
            #expect(record.attio?.pausedUntil == now.addingTimeInterval(30))

            try stores.sessions.touch(idHash: session.idHash, at: now.addingTimeInterval(60))
            #expect(try stores.sessions.session(idHash: session.idHash)?.session.lastSeenAt == now.addingTimeInterval(60))
            #expect(try stores.sessions.session(idHash: SHA256.hash([99])) == nil)
        }
    }

    @Test(arguments: StoreEngine.available)
    func sessionsAreReplacedListedAndEnded(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try makeUser(stores, "ada")
            let bob = try makeUser(stores, "bob")
            let old = try makeSession(stores, ada, 1)
            let replacement = Session(
                idHash: SHA256.hash([2]), userID: ada.id, csrfToken: "c2", createdAt: now, lastSeenAt: now.addingTimeInterval(5))
            #expect(try stores.sessions.insert(replacement, replacing: old.idHash, credential: "hash-\(ada.username)"))
            #expect(try stores.sessions.session(idHash: old.idHash) == nil)
            _ = try makeSession(stores, ada, 3, lastSeen: now.addingTimeInterval(9))
            _ = try makeSession(stores, bob, 4)
            #expect(try stores.sessions.sessions(userID: ada.id).map(\.idHash) == [SHA256.hash([3]), SHA256.hash([2])])
            #expect(try stores.sessions.sessions(userID: ada.id).first?.clientLabel == "Firefox on Linux")

            #expect(try stores.sessions.deleteAll(userID: ada.id, keeping: SHA256.hash([2])) == 1)
            #expect(try stores.sessions.sessions(userID: ada.id).map(\.idHash) == [SHA256.hash([2])])
            #expect(try stores.sessions.sessions(userID: bob.id).count == 1)

            #expect(try stores.sessions.deleteExpired(idleBefore: now.addingTimeInterval(1), createdBefore: now.addingTimeInterval(-1)) == 1)
            #expect(try stores.sessions.sessions(userID: bob.id).isEmpty)
            try stores.sessions.delete(idHash: SHA256.hash([2]))
            #expect(try stores.sessions.sessions(userID: ada.id).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.available)
    func aPasswordChangeEndsTheOtherSessionsOfThatUserOnly(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try makeUser(stores, "ada")
            let bob = try makeUser(stores, "bob")
            let kept = try makeSession(stores, ada, 1)
            _ = try makeSession(stores, ada, 2)
            _ = try makeSession(stores, bob, 3)
            #expect(try stores.users.changePassword(userID: ada.id, to: "changed", keepingSession: kept.idHash) == 1)
            #expect(try stores.sessions.session(idHash: kept.idHash)?.user.passwordHash == "changed")
            #expect(try stores.sessions.sessions(userID: ada.id).count == 1)
            #expect(try stores.sessions.sessions(userID: bob.id).count == 1)
        }
    }

    @Test(arguments: StoreEngine.available)
    func deletingAUserTakesEverythingOfTheirsAndNothingElse(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let throttle = LoginThrottle(store: stores.loginThrottle)
            let ada = try makeUser(stores, "ada")
            let bob = try makeUser(stores, "bob")
            for (user, tag) in [(ada, UInt8(1)), (bob, UInt8(2))] {
                let session = try makeSession(stores, user, tag)
                try stores.oauthStates.insert(stateHash: SHA256.hash([tag, 0]), sessionHash: session.idHash, at: now)
                try stores.attioConnections.save(
                    AttioConnection(userID: user.id, sealedToken: everyByte, workspaceID: "w", workspaceName: "W", connectedAt: now))
                _ = try throttle.admit(usernameKey: user.username, address: "192.0.2.1", now: now)
            }
            #expect(try stores.users.delete(userID: ada.id, throttleKey: ThrottleKeys.usernameDigest("ada")))
            #expect(try stores.users.delete(userID: ada.id, throttleKey: ThrottleKeys.usernameDigest("ada")) == false)
            #expect(try stores.users.user(usernameKey: "ada") == nil)
            #expect(try stores.sessions.session(idHash: SHA256.hash([1])) == nil)
            #expect(try stores.oauthStates.consume(stateHash: SHA256.hash([1, 0])) == nil)
            #expect(try stores.attioConnections.connection(userID: ada.id) == nil)
            #expect(try stores.loginThrottle.clear(usernameDigest: ThrottleKeys.usernameDigest("ada")) == 0)
            // Bob's rows are all there.
            #expect(try stores.sessions.session(idHash: SHA256.hash([2]))?.attio != nil)
            #expect(try stores.oauthStates.consume(stateHash: SHA256.hash([2, 0]))?.sessionHash == SHA256.hash([2]))
            #expect(try stores.loginThrottle.clear(usernameDigest: ThrottleKeys.usernameDigest("bob")) == 2)
            #expect(
                try stores.users.summaries(sessionsIdleBefore: now.addingTimeInterval(-1), sessionsCreatedBefore: now.addingTimeInterval(-1))
                    .map(\.username) == ["bob"])
        }
    }

    @Test(arguments: StoreEngine.available)
    func connectionsAreSavedPausedResealedAndDeleted(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try makeUser(stores, "ada")
            let first = AttioConnection(userID: ada.id, sealedToken: everyByte, workspaceID: "w1", workspaceName: "One", connectedAt: now)
            try stores.attioConnections.save(first)
            try stores.attioConnections.pause(userID: ada.id, until: now.addingTimeInterval(60))
            #expect(try stores.attioConnections.connection(userID: ada.id)?.pausedUntil == now.addingTimeInterval(60))
            // A reconnect replaces the row, and Attio's pause with it.
            let second = AttioConnection(
                userID: ada.id, sealedToken: TokenSealer.Sealed(keyID: "k1", bytes: [1, 2, 3]), workspaceID: "w2", workspaceName: nil,
                connectedAt: now.addingTimeInterval(1))
            try stores.attioConnections.save(second)
            #expect(try stores.attioConnections.connection(userID: ada.id) == second)

            let resealed = TokenSealer.Sealed(keyID: "k2", bytes: [4, 5])
            #expect(try stores.attioConnections.replaceSealedToken(userID: ada.id, first.sealedToken, with: resealed) == false)
            #expect(try stores.attioConnections.replaceSealedToken(userID: ada.id, second.sealedToken, with: resealed))
            #expect(try stores.attioConnections.all().map(\.sealedToken) == [resealed])
            try stores.attioConnections.updateSealedToken(userID: ada.id, to: everyByte)
            #expect(try stores.attioConnections.connection(userID: ada.id)?.sealedToken == everyByte)
            #expect(try stores.users.summaries(sessionsIdleBefore: now, sessionsCreatedBefore: now).first?.attioKeyID == "k1")
            try stores.attioConnections.delete(userID: ada.id)
            #expect(try stores.attioConnections.connection(userID: ada.id) == nil)
            #expect(try stores.attioConnections.all().isEmpty)
        }
    }

    @Test(arguments: StoreEngine.available)
    func anOAuthStateIsConsumedOnceAndGoesWithItsSession(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try makeUser(stores, "ada")
            let session = try makeSession(stores, ada, 1)
            try stores.oauthStates.insert(stateHash: SHA256.hash([7]), sessionHash: session.idHash, at: now)
            let consumed = try #require(try stores.oauthStates.consume(stateHash: SHA256.hash([7])))
            #expect(consumed.sessionHash == session.idHash)
            #expect(consumed.createdAt == now)
            #expect(try stores.oauthStates.consume(stateHash: SHA256.hash([7])) == nil)

            try stores.oauthStates.insert(stateHash: SHA256.hash([8]), sessionHash: session.idHash, at: now)
            try stores.oauthStates.insert(stateHash: SHA256.hash([9]), sessionHash: session.idHash, at: now.addingTimeInterval(600))
            try stores.oauthStates.deleteOlder(than: now.addingTimeInterval(1))
            #expect(try stores.oauthStates.consume(stateHash: SHA256.hash([8])) == nil)
            try stores.sessions.delete(idHash: session.idHash)
            #expect(try stores.oauthStates.consume(stateHash: SHA256.hash([9])) == nil)
        }
    }

    @Test(arguments: StoreEngine.available)
    func theThrottleLocksAPairForgivesAndForgets(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let throttle = LoginThrottle(store: database.stores.loginThrottle)
            for _ in 0..<LoginThrottle.pairFreeFailures {
                guard case .admitted = try throttle.admit(usernameKey: "ada", address: "192.0.2.1", now: now) else {
                    Issue.record("refused before the pair's free failures ran out")
                    return
                }
            }
            #expect(try throttle.admit(usernameKey: "ada", address: "192.0.2.1", now: now) == .refused(retryAfter: 30, byAddress: false))
            // Another address is not locked out; its right password is forgiven.
            guard case let .admitted(attempt) = try throttle.admit(usernameKey: "ada", address: "198.51.100.7", now: now) else {
                Issue.record("a second address was refused")
                return
            }
            try throttle.succeeded(attempt, now: now)
            // Per-name and per-pair rows of the first address are left (the
            // second address's pair went when it was forgiven).
            #expect(try database.stores.loginThrottle.clear(usernameDigest: ThrottleKeys.usernameDigest("ada")) == 2)
            guard case .admitted = try throttle.admit(usernameKey: "ada", address: "192.0.2.1", now: now) else {
                Issue.record("still locked after the counters were cleared")
                return
            }
            try throttle.removeStale(now: now.addingTimeInterval(LoginThrottle.trustedAddressLifetime + 1))
            #expect(try database.stores.loginThrottle.clear(usernameDigest: ThrottleKeys.usernameDigest("ada")) == 0)
        }
    }

    /// Check-and-count excludes every other writer: attempts arriving
    /// together on separate connections are each counted, none lost.
    @Test(arguments: StoreEngine.available)
    func attemptsArrivingTogetherAreEachCounted(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database throws in
            let throttle = LoginThrottle(store: database.stores.loginThrottle)
            let admitted = Atomic(0)
            DispatchQueue.concurrentPerform(iterations: 12) { index in
                // Each on its own address, so no pair locks; the name counts all.
                if case .admitted = try? throttle.admit(usernameKey: "ada", address: "192.0.2.\(index + 1)", now: now) {
                    admitted.add(1, ordering: .relaxed)
                }
            }
            #expect(admitted.load(ordering: .relaxed) == 12)
            // 12 per-pair rows and the per-name row carry the name's digest.
            #expect(try database.stores.loginThrottle.clear(usernameDigest: ThrottleKeys.usernameDigest("ada")) == 13)
        }
    }
}
