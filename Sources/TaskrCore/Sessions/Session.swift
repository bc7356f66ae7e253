import Foundation

/// A server-side session. The cookie holds a random token; the database
/// holds only its SHA-256 (``idHash``), so a copy of the database opens no
/// session.
struct Session: Sendable, Equatable {
    let idHash: [UInt8]
    /// Nil for a visitor who has not logged in yet (a session that exists so
    /// that the sign-up and log-in forms carry a CSRF token).
    let userID: Int64?
    /// The synchronizer token every POST form of this session must carry.
    let csrfToken: String
    let createdAt: Date
    var lastSeenAt: Date
}
