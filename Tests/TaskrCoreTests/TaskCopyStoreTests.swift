import Dispatch
import Foundation
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

/// The task copies and the refresher's leases, on both engines: what keeps
/// each copy refreshed by one holder at a time, once per falling due,
/// across processes and hosts.
@Suite("Storage: task copies and their leases")
struct TaskCopyStoreTests {
    private let now = Date(unixTime: 1_800_000_000)
    private let lease: TimeInterval = 20

    @Test(arguments: StoreEngine.available)
    func aLeaseHoldsTheCopyForOneHolderUntilItRunsOut(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let copies = database.stores.taskCopies
            let ada = try connectedUser(database.stores, "ada")
            let first = try #require(try copies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)))
            #expect(first.userID == ada.id && first.failures == 0)
            #expect(try copies.claim(holder: "b", at: now.addingTimeInterval(lease - 1), leaseUntil: now.addingTimeInterval(2 * lease)) == nil)
            #expect(try copies.anyDue(at: now.addingTimeInterval(lease - 1)) == false)
            // "a" dies; its lease runs out and "b" takes the copy.
            let later = now.addingTimeInterval(lease)
            #expect(try copies.anyDue(at: later))
            let second = try #require(try copies.claim(holder: "b", at: later, leaseUntil: later.addingTimeInterval(lease)))
            #expect(try copies.renew(first, until: later.addingTimeInterval(lease)) == false)
            #expect(try copies.finish(first, copy: sealed(ada, 1), at: later) == false, "a lost lease writes nothing")
            #expect(try copies.finish(second, copy: sealed(ada, 2), at: later))
            #expect(try copies.sealedCopy(userID: ada.id)?.version == 2)
            #expect(try copies.anyDue(at: later.addingTimeInterval(lease)) == false, "refreshed once")
            let state = try #require(try database.stores.sessions.session(idHash: try session(database.stores, ada))?.taskCopy)
            #expect(state == TaskCopyState(userID: ada.id, version: 2, takenAt: later, failure: nil, failedAt: nil, isDue: false))
        }
    }

    @Test(arguments: StoreEngine.available)
    func aChangeDuringARefreshLeavesTheCopyDueAfterIt(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let copies = database.stores.taskCopies
            let ada = try connectedUser(database.stores, "ada")
            let claim = try #require(try copies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)))
            #expect(try copies.markStale(userID: ada.id, at: now) == false, "due already")
            #expect(try copies.markChanged(userID: ada.id, at: now, viewedSince: now.addingTimeInterval(-86400)))
            #expect(try copies.finish(claim, copy: sealed(ada, 1), at: now))
            let again = try #require(try copies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)), "the change is fetched too")
            #expect(try copies.finish(again, copy: sealed(ada, 2), at: now))
            #expect(try copies.anyDue(at: now) == false)
            // Stale once, then due until refreshed; nobody viewing for a day: no change makes it due.
            #expect(try copies.markStale(userID: ada.id, at: now.addingTimeInterval(30)))
            #expect(try copies.markStale(userID: ada.id, at: now.addingTimeInterval(31)) == false)
            let third = try #require(try copies.claim(holder: "a", at: now.addingTimeInterval(31), leaseUntil: now.addingTimeInterval(60)))
            #expect(try copies.finish(third, copy: sealed(ada, 3), at: now.addingTimeInterval(31)))
            #expect(
                try copies.markChanged(userID: ada.id, at: now.addingTimeInterval(86400 + 31), viewedSince: now.addingTimeInterval(31 + 1)) == false)
        }
    }

    /// A refresh that began before a change made through Taskr brings an
    /// older list: it is not stored over the change, which stays due.
    @Test(arguments: StoreEngine.available)
    func aRefreshDoesNotOverwriteAChangeMadeThroughTaskrDuringIt(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let copies = database.stores.taskCopies
            let ada = try connectedUser(database.stores, "ada")
            let first = try #require(try copies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)))
            #expect(try copies.finish(first, copy: sealed(ada, 1), at: now))
            try copies.markStale(userID: ada.id, at: now)
            let refresh = try #require(try copies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)))
            #expect(try copies.replace(sealed(ada, 1), with: sealed(ada, 2), at: now), "the person's change")
            #expect(try copies.finish(refresh, copy: sealed(ada, 3), at: now) == false, "the older answer is dropped")
            #expect(try copies.sealedCopy(userID: ada.id)?.version == 2)
            try copies.release(refresh)
            #expect(try copies.claim(holder: "b", at: now, leaseUntil: now.addingTimeInterval(lease)) != nil, "due again, at once")
        }
    }

    @Test(arguments: StoreEngine.available)
    func aFailureKeepsTheCopyAndHoldsRefreshesOffUntilItsTime(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let copies = database.stores.taskCopies
            let ada = try connectedUser(database.stores, "ada")
            let claim = try #require(try copies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)))
            #expect(try copies.finish(claim, copy: sealed(ada, 7), at: now))
            try copies.markStale(userID: ada.id, at: now.addingTimeInterval(30))
            let failing = try #require(try copies.claim(holder: "a", at: now.addingTimeInterval(30), leaseUntil: now.addingTimeInterval(50)))
            #expect(try copies.fail(failing, .noAnswer, at: now.addingTimeInterval(31), notBefore: now.addingTimeInterval(36)))
            #expect(try copies.sealedCopy(userID: ada.id)?.version == 7, "the last copy stays")
            try copies.markStale(userID: ada.id, at: now.addingTimeInterval(32))
            #expect(try copies.claim(holder: "a", at: now.addingTimeInterval(35), leaseUntil: now.addingTimeInterval(55)) == nil)
            let retry = try #require(try copies.claim(holder: "a", at: now.addingTimeInterval(36), leaseUntil: now.addingTimeInterval(56)))
            #expect(retry.failures == 1)
            try copies.release(retry)
            #expect(try copies.claim(holder: "b", at: now.addingTimeInterval(36), leaseUntil: now.addingTimeInterval(56)) != nil, "released at once")
            let state = try #require(try database.stores.sessions.session(idHash: try session(database.stores, ada))?.taskCopy)
            #expect(state.failure == .noAnswer && state.failedAt == now.addingTimeInterval(31) && state.version == 7 && state.isDue)
        }
    }

    @Test(arguments: StoreEngine.available)
    func reconnectingResetsTheCopyAndEndsAnyLease(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let stores = database.stores
            let ada = try connectedUser(stores, "ada")
            let claim = try #require(try stores.taskCopies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)))
            #expect(try stores.taskCopies.finish(claim, copy: sealed(ada, 1), at: now))
            try stores.taskCopies.markStale(userID: ada.id, at: now)
            let stale = try #require(try stores.taskCopies.claim(holder: "a", at: now, leaseUntil: now.addingTimeInterval(lease)))
            try stores.attioConnections.save(
                AttioConnection(
                    userID: ada.id, sealedToken: TokenSealer.Sealed(keyID: "k", bytes: [2]), workspaceID: nil, workspaceName: nil, connectedAt: now))
            #expect(try stores.taskCopies.sealedCopy(userID: ada.id) == nil, "the old workspace's copy is gone")
            #expect(try stores.taskCopies.finish(stale, copy: sealed(ada, 2), at: now) == false, "the old token's refresh is not stored")
            #expect(try stores.taskCopies.claim(holder: "b", at: now, leaseUntil: now.addingTimeInterval(lease)) != nil, "the first copy is due")
        }
    }

    /// Holders claiming at once each get a different copy, and every due
    /// copy is claimed exactly once (PostgreSQL: SKIP LOCKED; SQLite: one writer).
    @Test(arguments: StoreEngine.available)
    func holdersClaimingAtOnceShareTheCopiesOutOnceEach(_ engine: StoreEngine) throws {
        try withTemporaryDatabase(engine) { database in
            let users = try (0..<12).map { try connectedUser(database.stores, "user\($0)") }
            let claimed = Mutex<[Int64]>([])
            let copies = database.stores.taskCopies
            let (now, lease) = (now, lease)
            DispatchQueue.concurrentPerform(iterations: 4) { holder in
                while let claim = try? copies.claim(holder: "h\(holder)", at: now, leaseUntil: now.addingTimeInterval(lease)) {
                    claimed.withLock { $0.append(claim.userID) }
                }
            }
            #expect(claimed.withLock { $0.sorted() } == users.map(\.id))
        }
    }

    private func connectedUser(_ stores: Stores, _ name: String) throws -> User {
        let user = try #require(try stores.users.create(username: Username(validating: name), passwordHash: "h", at: now))
        try stores.attioConnections.save(
            AttioConnection(
                userID: user.id, sealedToken: TokenSealer.Sealed(keyID: "k", bytes: [1]), workspaceID: nil, workspaceName: nil, connectedAt: now))
        return user
    }

    private func session(_ stores: Stores, _ user: User) throws -> [UInt8] {
        let session = Session(idHash: SHA256.hash([UInt8(user.id)]), userID: user.id, csrfToken: "c", createdAt: now, lastSeenAt: now)
        #expect(try stores.sessions.insert(session, replacing: nil, credential: "h"))
        return session.idHash
    }

    private func sealed(_ user: User, _ version: Int64) -> SealedTaskCopy {
        SealedTaskCopy(userID: user.id, version: version, sealed: TokenSealer.Sealed(keyID: "k", bytes: Array(0...255)))
    }
}
