import Foundation

/// Where connections live.
protocol AttioConnectionStore: Sendable {
    /// Saves the user's connection, replacing any earlier one.
    func save(_ connection: AttioConnection) throws
    func connection(userID: Int64) throws -> AttioConnection?
    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws
    func delete(userID: Int64) throws
}
