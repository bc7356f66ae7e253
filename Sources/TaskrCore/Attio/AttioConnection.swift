import Foundation

/// A user's link to their Attio workspace: the sealed access token and what
/// does not change while it lives (the workspace).
struct AttioConnection: Sendable, Equatable {
    let userID: Int64
    var sealedToken: TokenSealer.Sealed
    let workspaceID: String?
    let workspaceName: String?
    let connectedAt: Date
    /// Attio asked (429, `Retry-After`) that this token's calls wait until
    /// then: kept with the connection, so every host holds back.
    var pausedUntil: Date? = nil
}
