public import Foundation
public import HTTP
public import Logging
public import Sodium

/// What the administration commands (`taskr check`, `reseal`, `users …`)
/// do, on the same stores and services as the routes: safe to run while
/// `taskr serve` runs on the same database (short transactions; a token is
/// re-sealed only if nobody changed it meanwhile).
public struct Administration: Sendable {
    private let services: Services
    private let settings: Settings
    private let database: TaskrDatabase
    /// The key that seals tokens now, if there is one yet (a SQLite site
    /// that never ran `serve` has no key file).
    private let currentKey: SecretKey?

    public init(
        database: TaskrDatabase, settings: Settings, secretKey: SecretKey?, http: any HTTPClient, clock: any WallClock = SystemClock(),
        logger: Logger
    ) throws {
        self.settings = settings
        self.database = database
        self.currentKey = secretKey
        services = try Services(
            database: database, settings: settings,
            // Without a key nothing is sealed or opened; the throwaway key
            // only fills the services' other uses (digests of log lines).
            secretKey: secretKey ?? SecretKey.generate(), http: http, clock: clock, random: SystemRandom(),
            passwordHasher: .owasp, concurrentHashes: 1, passwordThreads: 1, concurrentAttioCalls: 2, logger: logger)
    }

    // MARK: check

    public struct CheckReport: Sendable {
        public let migrations: MigrationState
        public let users: Int
        public let liveSessions: Int
        /// Attio connections per key id, with what that key is here.
        public let connectionsByKey: [KeyCount]
        public let databaseAnswers: Bool

        public struct KeyCount: Sendable, Equatable {
            public let keyID: String
            /// "current", "previous" or "unknown" (no configured key).
            public let role: String
            public let connections: Int
        }

        /// Everything that is wrong, in words; empty when all is well.
        public var problems: [String] {
            var problems: [String] = []
            if !databaseAnswers { problems.append("the database does not answer or does not accept writes (down, locked, read-only or full)") }
            if !migrations.pending.isEmpty {
                problems.append("migrations not applied yet: \(migrations.pending.joined(separator: ", ")) (run taskr migrate)")
            }
            if !migrations.unknown.isEmpty {
                problems.append("migrations from a newer taskr: \(migrations.unknown.sorted().joined(separator: ", "))")
            }
            for count in connectionsByKey where count.role == "unknown" {
                problems.append("\(count.connections) Attio token(s) under key \(count.keyID), which no configured key matches")
            }
            return problems
        }
    }

    public func check() throws -> CheckReport {
        let migrations = try database.migrationState()
        // Counted only on a schema this build reads the same way.
        guard migrations.pending.isEmpty, migrations.unknown.isEmpty else {
            return CheckReport(migrations: migrations, users: 0, liveSessions: 0, connectionsByKey: [], databaseAnswers: database.isAvailable())
        }
        let summaries = try userSummaries()
        var byKey: [String: Int] = [:]
        for summary in summaries { if let keyID = summary.attioKeyID { byKey[keyID, default: 0] += 1 } }
        return CheckReport(
            migrations: migrations, users: summaries.count, liveSessions: summaries.reduce(0) { $0 + $1.liveSessions },
            connectionsByKey: byKey.sorted { $0.key < $1.key }.map {
                CheckReport.KeyCount(keyID: $0.key, role: role(of: $0.key), connections: $0.value)
            },
            databaseAnswers: database.isAvailable())
    }

    private func role(of keyID: String) -> String {
        if keyID == currentKey?.id { return "current" }
        return settings.previousSecretKeys.contains { $0.id == keyID } ? "previous" : "unknown"
    }

    // MARK: reseal

    public struct ResealReport: Sendable, Equatable {
        public let currentKeyID: String
        /// Tokens re-sealed under the current key, per old key id.
        public let resealed: [String: Int]
        public let alreadyCurrent: Int
        /// Users whose token no configured key opens: left in place.
        public let unopenable: [Int64]
        /// Users whose token changed while this ran (a reconnect): left to the new one.
        public let changedMeanwhile: [Int64]
    }

    /// Re-seals every token not under the current key.
    /// - Throws: ``AdministrationError/noKey`` when there is no current key.
    public func reseal() throws -> ResealReport {
        guard let currentKey else { throw AdministrationError.noKey }
        let sealer = TokenSealer(current: currentKey, previous: settings.previousSecretKeys)
        let connections = services.stores.attioConnections
        var resealed: [String: Int] = [:]
        var alreadyCurrent = 0
        var unopenable: [Int64] = []
        var changed: [Int64] = []
        for connection in try connections.all() {
            let old = connection.sealedToken
            guard let (token, needsReseal) = sealer.open(old, userID: connection.userID) else {
                unopenable.append(connection.userID)
                continue
            }
            guard needsReseal else {
                alreadyCurrent += 1
                continue
            }
            if try connections.replaceSealedToken(userID: connection.userID, old, with: sealer.seal(token, userID: connection.userID)) {
                resealed[old.keyID, default: 0] += 1
            } else {
                changed.append(connection.userID)
            }
        }
        return ResealReport(
            currentKeyID: currentKey.id, resealed: resealed, alreadyCurrent: alreadyCurrent, unopenable: unopenable, changedMeanwhile: changed)
    }

    // MARK: users

    /// Every account, oldest first.
    public func userSummaries() throws -> [UserSummary] {
        let now = services.clock.now()
        return try services.stores.users.summaries(
            sessionsIdleBefore: now.addingTimeInterval(-settings.sessionPolicy.idleTimeout),
            sessionsCreatedBefore: now.addingTimeInterval(-settings.sessionPolicy.maximumAge))
    }

    /// Clears the log-in throttling of the name `username` (its per-name
    /// and per-pair counters; an address locked for guessing many names
    /// stays locked). Works for names without an account too.
    /// - Returns: whether an account has that name, and how many counters went.
    public func unlock(username: String) throws -> (accountExists: Bool, cleared: Int) {
        let key = Username.key(for: username)
        let cleared = try services.stores.loginThrottle.clear(usernameDigest: ThrottleKeys.usernameDigest(key))
        return (try services.stores.users.user(usernameKey: key) != nil, cleared)
    }

    /// Deletes the account `username` as `POST /account/delete` does:
    /// revokes its Attio token (best effort, bounded), then deletes every
    /// row of it in one transaction.
    /// - Returns: the deleted user's id, or nil when there is no such account.
    public func deleteUser(username: String) throws -> Int64? {
        let key = Username.key(for: username)
        guard let user = try services.stores.users.user(usernameKey: key) else { return nil }
        try services.attioConnector.disconnect(user: user)
        return try services.stores.users.delete(userID: user.id, throttleKey: ThrottleKeys.usernameDigest(key)) ? user.id : nil
    }
}

public enum AdministrationError: Error, CustomStringConvertible {
    case noKey

    public var description: String {
        switch self {
        case .noKey: "no secret key: set TASKR_SECRET_KEY, or run taskr serve once to create the key file"
        }
    }
}
