import Foundation

/// Where OAuth `state` values wait for the callback: only their SHA-256,
/// bound to the session that started the connection.
protocol OAuthStateStore: Sendable {
    func insert(stateHash: [UInt8], sessionHash: [UInt8], at date: Date) throws
    /// Deletes the state and returns what it was bound to; nil if unknown
    /// (or already used). Single use: a second call returns nil.
    func consume(stateHash: [UInt8]) throws -> (sessionHash: [UInt8], createdAt: Date)?
    func deleteOlder(than date: Date) throws
}
