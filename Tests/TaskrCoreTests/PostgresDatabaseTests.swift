import Dispatch
import Foundation
import Postgres
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

/// What only the PostgreSQL engine has to get right: hosts starting at once,
/// connections lost under it, values kept out of errors.
@Suite("Storage: PostgreSQL", .enabled(if: StoreEngine.postgresURI != nil))
struct PostgresDatabaseTests {
    @Test func hostsStartingTogetherApplyEachMigrationExactlyOnce() throws {
        try withTemporaryPostgresSchema { uri in
            let failures = Atomic(0)
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do { _ = try PostgresDatabase(conninfo: uri) } catch { failures.add(1, ordering: .relaxed) }
            }
            #expect(failures.load(ordering: .relaxed) == 0)
            let connection = try PostgresConnection(uri)
            let rows = try connection.query("SELECT name FROM taskr_migrations ORDER BY name")
            #expect(try (0..<rows.count).map { try rows.string($0, 0) } == Migrations.names(for: .postgres).sorted())
        }
    }

    /// READ COMMITTED reads the last committed row without waiting: a
    /// log-in whose credential check ran while a password change was in
    /// flight saw the old hash and kept its session (login_race_test.py
    /// caught one in three runs). The check now waits for the change (its
    /// row is read `FOR SHARE`) and then finds the hash changed.
    @Test(.timeLimit(.minutes(1))) func aLogInCheckedDuringAPasswordChangeWaitsForItAndGetsNoSession() throws {
        try withTemporaryDatabase(.postgres) { database in
            guard case let .postgres(postgres) = database else { return }
            let now = Date(unixTime: 1_800_000_000)
            let ada = try #require(try database.stores.users.create(username: Username(validating: "ada"), passwordHash: "old", at: now))
            let changing = DispatchSemaphore(value: 0)
            let commit = DispatchSemaphore(value: 0)
            let changeFailure = Mutex<String?>(nil)
            let change = Thread {
                do {
                    try postgres.write { transaction in
                        try transaction.execute("UPDATE users SET password_hash = 'new' WHERE id = $1", [.integer(ada.id)])
                        changing.signal()
                        _ = commit.wait(timeout: .now() + 30)
                    }
                } catch {
                    changeFailure.withLock { $0 = "\(error)" }
                    changing.signal()
                }
            }
            change.start()
            #expect(changing.wait(timeout: .now() + 10) == .success)
            #expect(changeFailure.withLock { $0 } == nil)
            let inserted = Mutex<Bool?>(nil)
            let logIn = Thread {
                let session = Session(idHash: [7], userID: ada.id, csrfToken: "c", createdAt: now, lastSeenAt: now)
                let result = try? database.stores.sessions.insert(session, replacing: nil, credential: "old")
                inserted.withLock { $0 = result }
            }
            logIn.start()
            // The log-in's check is waiting on the change's row lock: seen by the server.
            // (This thread's own connection: neither the change's nor the log-in's.)
            #expect(eventually { (try? postgres.first("SELECT count(*) FROM pg_locks WHERE NOT granted", []) { try $0.int64(0) }) == 1 })
            #expect(inserted.withLock { $0 } == nil)
            commit.signal()
            #expect(eventually { inserted.withLock { $0 } != nil })
            #expect(inserted.withLock { $0 } == false)
            #expect(try database.stores.sessions.session(idHash: [7]) == nil)
        }
    }

    @Test func aLostConnectionIsReopenedForTheNextRead() throws {
        try withTemporaryDatabase(.postgres) { database in
            guard case let .postgres(postgres) = database else { return }
            let ada = try #require(try database.stores.users.create(username: Username(validating: "ada"), passwordHash: "h", at: Date()))
            // The server ends this thread's connection (as a restart would).
            let pid = try #require(try postgres.first("SELECT pg_backend_pid()", []) { try $0.int(0) })
            let admin = try PostgresConnection(try #require(StoreEngine.postgresURI))
            try admin.query("SELECT pg_terminate_backend($1::int)", [.int(pid)])
            // A read is repeated once on a new connection: no error reaches the page.
            #expect(try database.stores.users.user(usernameKey: "ada") == ada)
            #expect(try postgres.first("SELECT pg_backend_pid()", []) { try $0.int(0) } != pid)
        }
    }

    @Test func aWriteOnALostConnectionIsUnavailableNotRepeated() throws {
        try withTemporaryDatabase(.postgres) { database in
            guard case let .postgres(postgres) = database else { return }
            let pid = try #require(try postgres.first("SELECT pg_backend_pid()", []) { try $0.int(0) })
            let admin = try PostgresConnection(try #require(StoreEngine.postgresURI))
            try admin.query("SELECT pg_terminate_backend($1::int)", [.int(pid)])
            #expect(throws: DatabaseUnavailable.self) {
                _ = try database.stores.users.create(username: Username(validating: "ada"), passwordHash: "h", at: Date())
            }
            // Nothing half-written, and the next write works on a new connection.
            #expect(try database.stores.users.user(usernameKey: "ada") == nil)
            #expect(try database.stores.users.create(username: Username(validating: "ada"), passwordHash: "h", at: Date()) != nil)
        }
    }

    @Test func anUnreachableServerIsUnavailableAndNamesNoPassword() throws {
        let uri = "postgresql://taskr:s3cret-password@127.0.0.1:1/taskr?connect_timeout=2"
        do {
            _ = try PostgresDatabase(conninfo: uri)
            Issue.record("connected to nothing")
        } catch {
            #expect(error is DatabaseUnavailable)
            #expect(!String(describing: error).contains("s3cret-password"))
        }
    }

    @Test func aRefusedStatementCarriesItsSQLStateAndNoValue() throws {
        try withTemporaryPostgresSchema { uri in
            let connection = try PostgresConnection(uri)
            try connection.command("CREATE TABLE t (n bigint PRIMARY KEY)")
            try connection.query("INSERT INTO t (n) VALUES ($1)", [.int(424_242)])
            do {
                try connection.query("INSERT INTO t (n) VALUES ($1)", [.int(424_242)])
                Issue.record("a duplicate key was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == "23505")
                #expect(!error.description.contains("424242"))
            }
            // The connection is still usable after a refused statement.
            #expect(try connection.query("SELECT count(*) FROM t").int(0, 0) == 1)
        }
    }
}

@Suite("Moving up: copy-database", .enabled(if: StoreEngine.postgresURI != nil))
struct DatabaseCopyTests {
    @Test func everyRowMovesAndTheTokensOpenWithTheSameKey() throws {
        let key = SecretKey.generate()
        let sealer = TokenSealer(current: key, previous: [])
        let now = Date(unixTime: 1_800_000_000)
        try withTemporaryDatabase(.sqlite) { source in
            guard case let .sqlite(sqlite) = source else { return }
            let stores = source.stores
            let ada = try #require(try stores.users.create(username: Username(validating: "Ada"), passwordHash: "h1", at: now))
            let bob = try #require(try stores.users.create(username: Username(validating: "bob"), passwordHash: "h2", at: now))
            let session = Session(idHash: [1, 0, 2], userID: ada.id, csrfToken: "c", createdAt: now, lastSeenAt: now, clientLabel: "Safari on macOS")
            #expect(try stores.sessions.insert(session, replacing: nil, credential: "h1"))
            #expect(
                try stores.sessions.insert(
                    Session(idHash: [3], userID: bob.id, csrfToken: "d", createdAt: now, lastSeenAt: now), replacing: nil, credential: "h2"))
            try stores.attioConnections.save(
                AttioConnection(
                    userID: ada.id, sealedToken: sealer.seal("attio-token-of-ada", userID: ada.id), workspaceID: "w", workspaceName: "Ada's",
                    connectedAt: now))
            let claim = try #require(try stores.taskCopies.claim(holder: "h", at: now, leaseUntil: now.addingTimeInterval(20)))
            let copy = SealedTaskCopy(userID: ada.id, version: 42, sealed: sealer.seal(Array("ada's tasks".utf8), userID: ada.id, for: .taskCopy))
            #expect(try stores.taskCopies.finish(claim, copy: copy, at: now))
            try stores.oauthStates.insert(stateHash: [9], sessionHash: [3], at: now)
            _ = try LoginThrottle(store: stores.loginThrottle).admit(usernameKey: "bob", address: "192.0.2.1", now: now)

            try withTemporaryPostgresSchema { uri in
                let target = try PostgresDatabase(conninfo: uri, migrating: false)
                let report = try DatabaseCopy.copy(from: sqlite, to: target)
                #expect(report.rows.map(\.table) == ["users", "sessions", "attio_connections", "oauth_states", "login_throttle", "task_copies"])
                #expect(report.rows.map(\.count) == [2, 2, 1, 1, 3, 1])

                let copied = TaskrDatabase.postgres(target).stores
                let record = try #require(try copied.sessions.session(idHash: session.idHash))
                #expect(record.user == ada)
                #expect(record.session.csrfToken == "c")
                let sealed = try #require(record.attio?.sealedToken)
                #expect(sealer.open(sealed, userID: ada.id)?.token == "attio-token-of-ada")
                #expect(try copied.sessions.sessions(userID: ada.id).first?.clientLabel == "Safari on macOS")
                let copiedTasks = try #require(try copied.taskCopies.sealedCopy(userID: ada.id))
                #expect(
                    copiedTasks.version == 42 && sealer.open(copiedTasks.sealed, userID: ada.id, for: .taskCopy)?.bytes == Array("ada's tasks".utf8))
                #expect(record.taskCopy?.version == 42)
                #expect(try copied.oauthStates.consume(stateHash: [9])?.sessionHash == [3])
                #expect(try copied.loginThrottle.clear(usernameDigest: ThrottleKeys.usernameDigest("bob")) == 2)
                // New accounts continue after the copied ids.
                #expect(try copied.users.create(username: Username(validating: "cy"), passwordHash: "h3", at: now)?.id == bob.id + 1)

                // A second copy finds data there and changes nothing.
                #expect(throws: DatabaseCopy.Refusal.self) { try DatabaseCopy.copy(from: sqlite, to: target) }
                #expect(try copied.users.summaries(sessionsIdleBefore: now, sessionsCreatedBefore: now).count == 3)
            }
        }
    }
}
