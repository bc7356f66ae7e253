import Foundation

/// A user's link to their Attio workspace: the sealed access token and what
/// does not change while it lives (the workspace).
struct AttioConnection: Sendable, Equatable {
    let userID: Int64
    var sealedToken: TokenSealer.Sealed
    let workspaceID: String?
    let workspaceName: String?
    let connectedAt: Date
}

/// Where connections live.
protocol AttioConnectionStore: Sendable {
    /// Saves the user's connection, replacing any earlier one.
    func save(_ connection: AttioConnection) throws
    func connection(userID: Int64) throws -> AttioConnection?
    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws
    func delete(userID: Int64) throws
}

/// Where OAuth `state` values wait for the callback: only their SHA-256,
/// bound to the session that started the connection.
protocol OAuthStateStore: Sendable {
    func insert(stateHash: [UInt8], sessionHash: [UInt8], at date: Date) throws
    /// Deletes the state and returns what it was bound to; nil if unknown
    /// (or already used). Single use: a second call returns nil.
    func consume(stateHash: [UInt8]) throws -> (sessionHash: [UInt8], createdAt: Date)?
    func deleteOlder(than date: Date) throws
}
