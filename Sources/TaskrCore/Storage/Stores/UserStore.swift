public import Foundation

/// Where accounts live. Routes use this, never SQL.
protocol UserStore: Sendable {
    /// Creates an account; nil when the username (by key) is taken.
    func create(username: Username, passwordHash: String, at date: Date) throws -> User?
    func user(usernameKey: String) throws -> User?
    /// Replaces the password hash only if it is still `old` (a rehash with
    /// the current parameters; a password change in between wins); returns
    /// whether it did.
    func replacePasswordHash(userID: Int64, _ old: String, with new: String) throws -> Bool
    /// Stores a new password hash and ends every session of the user but
    /// `keeping`, in one transaction. Returns how many sessions ended.
    func changePassword(userID: Int64, to hash: String, keepingSession keeping: [UInt8]) throws -> Int
    /// Deletes the account and everything stored for it (sessions, OAuth
    /// states, the Attio connection, the name's log-in counters under
    /// `throttleKey`) in one transaction; false if there was no such user.
    func delete(userID: Int64, throttleKey: [UInt8]) throws -> Bool
    /// Every account, oldest first, with what an operator asks about.
    func summaries(sessionsIdleBefore: Date, sessionsCreatedBefore: Date) throws -> [UserSummary]
}

/// One account as `taskr users list` shows it.
public struct UserSummary: Sendable, Equatable {
    public let id: Int64
    public let username: String
    public let createdAt: Date
    /// Sessions neither idle nor too old.
    public let liveSessions: Int
    /// The key id of the sealed Attio token, if connected.
    public let attioKeyID: String?
}
