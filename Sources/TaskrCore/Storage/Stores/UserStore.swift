import Foundation

/// Where accounts live. Routes use this, never SQL.
protocol UserStore: Sendable {
    /// Creates an account; nil when the username (by key) is taken.
    func create(username: Username, passwordHash: String, at date: Date) throws -> User?
    func user(usernameKey: String) throws -> User?
    func updatePasswordHash(userID: Int64, to hash: String) throws
}
