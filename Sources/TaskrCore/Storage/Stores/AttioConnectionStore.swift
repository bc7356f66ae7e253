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
    /// The connection whose webhook has id `webhookID` (a delivery's).
    func connection(webhookID: String) throws -> AttioConnection?
    /// Keeps a delivery's `Idempotency-Key`; false when it is the last one
    /// seen already (a redelivery).
    func recordDelivery(userID: Int64, key: String) throws -> Bool
    /// Replaces the sealed webhook secret only if it is still `old` (`taskr reseal`).
    func replaceSealedWebhookSecret(userID: Int64, _ old: TokenSealer.Sealed, with new: TokenSealer.Sealed) throws -> Bool
}
