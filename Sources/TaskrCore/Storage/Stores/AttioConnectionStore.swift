import Foundation

/// Where connections live.
protocol AttioConnectionStore: Sendable {
    /// Saves the user's connection, replacing any earlier one.
    func save(_ connection: AttioConnection) throws
    func connection(userID: Int64) throws -> AttioConnection?
    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws
    /// Records Attio's `Retry-After` for the user's token (a reconnect,
    /// which saves a new token, clears it).
    func pause(userID: Int64, until: Date) throws
    func delete(userID: Int64) throws
    /// Every connection, by user id (for `taskr reseal` and `taskr check`).
    func all() throws -> [AttioConnection]
    /// Replaces the sealed token only if it is still `old` (a reconnect in
    /// between wins); returns whether it did.
    func replaceSealedToken(userID: Int64, _ old: TokenSealer.Sealed, with new: TokenSealer.Sealed) throws -> Bool
}
