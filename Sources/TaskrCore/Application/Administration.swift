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
        /// Task copies per key id, likewise.
        public let taskCopiesByKey: [KeyCount]
        public let databaseAnswers: Bool

        public struct KeyCount: Sendable, Equatable {
            public let keyID: String
            /// "current", "previous" or "unknown" (no configured key).
            public let role: String
            public let count: Int
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
                problems.append("\(count.count) Attio token(s) under key \(count.keyID), which no configured key matches")
            }
            for count in taskCopiesByKey where count.role == "unknown" {
                problems.append("\(count.count) task copies under key \(count.keyID), which no configured key matches")
            }
            return problems
        }
    }

    public func check() throws -> CheckReport {
        let migrations = try database.migrationState()
        // Counted only on a schema this build reads the same way.
        guard migrations.pending.isEmpty, migrations.unknown.isEmpty else {
            return CheckReport(
                migrations: migrations, users: 0, liveSessions: 0, connectionsByKey: [], taskCopiesByKey: [],
                databaseAnswers: database.isAvailable())
        }
        let summaries = try userSummaries()
        return CheckReport(
            migrations: migrations, users: summaries.count, liveSessions: summaries.reduce(0) { $0 + $1.liveSessions },
            connectionsByKey: countByKey(summaries.compactMap(\.attioKeyID)),
            taskCopiesByKey: countByKey(try services.stores.taskCopies.allSealed().map(\.sealed.keyID)),
            databaseAnswers: database.isAvailable())
    }

    private func countByKey(_ keyIDs: [String]) -> [CheckReport.KeyCount] {
        Dictionary(keyIDs.map { ($0, 1) }, uniquingKeysWith: +).sorted { $0.key < $1.key }.map {
            CheckReport.KeyCount(keyID: $0.key, role: role(of: $0.key), count: $0.value)
        }
    }

    private func role(of keyID: String) -> String {
        if keyID == currentKey?.id { return "current" }
        return settings.previousSecretKeys.contains { $0.id == keyID } ? "previous" : "unknown"
    }

    // MARK: reseal

    public struct ResealReport: Sendable, Equatable {
        public let currentKeyID: String
        public let tokens: Tally
        public let taskCopies: Tally
        public let webhookSecrets: Tally

        /// What became of one kind of sealed value.
        public struct Tally: Sendable, Equatable {
            /// Re-sealed under the current key, per old key id.
            public var resealed: [String: Int] = [:]
            public var alreadyCurrent = 0
            /// Users whose value no configured key opens: left in place.
            public var unopenable: [Int64] = []
            /// Users whose value changed while this ran (a reconnect, a refresh): left to the new one.
            public var changedMeanwhile: [Int64] = []

            /// Re-seals `sealed` of user `userID` (for `purpose`) through `replace`, unless it is current already.
            mutating func reseal(
                _ sealed: TokenSealer.Sealed, of userID: Int64, for purpose: TokenSealer.Purpose, with sealer: TokenSealer,
                replace: (TokenSealer.Sealed) throws -> Bool
            ) throws {
                guard let (bytes, needsReseal) = sealer.open(sealed, userID: userID, for: purpose) else {
                    unopenable.append(userID)
                    return
                }
                guard needsReseal else {
                    alreadyCurrent += 1
                    return
                }
                if try replace(sealer.seal(bytes, userID: userID, for: purpose)) {
                    resealed[sealed.keyID, default: 0] += 1
                } else {
                    changedMeanwhile.append(userID)
                }
            }
        }
    }

    /// Re-seals every token, task copy and webhook secret not under the current key.
    /// - Throws: ``AdministrationError/noKey`` when there is no current key.
    public func reseal() throws -> ResealReport {
        guard let currentKey else { throw AdministrationError.noKey }
        let sealer = TokenSealer(current: currentKey, previous: settings.previousSecretKeys)
        let connections = services.stores.attioConnections
        let copies = services.stores.taskCopies
        var tokens = ResealReport.Tally()
        var webhookSecrets = ResealReport.Tally()
        for connection in try connections.all() {
            try tokens.reseal(connection.sealedToken, of: connection.userID, for: .token, with: sealer) {
                try connections.replaceSealedToken(userID: connection.userID, connection.sealedToken, with: $0)
            }
            if let secret = connection.webhook?.sealedSecret {
                try webhookSecrets.reseal(secret, of: connection.userID, for: .webhookSecret, with: sealer) {
                    try connections.replaceSealedWebhookSecret(userID: connection.userID, secret, with: $0)
                }
            }
        }
        var taskCopies = ResealReport.Tally()
        for copy in try copies.allSealed() {
            try taskCopies.reseal(copy.sealed, of: copy.userID, for: .taskCopy, with: sealer) { try copies.replaceSealed(copy, with: $0) }
        }
        return ResealReport(currentKeyID: currentKey.id, tokens: tokens, taskCopies: taskCopies, webhookSecrets: webhookSecrets)
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
