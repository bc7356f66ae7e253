import Foundation

/// A server-side session. The cookie holds a random token; the database
/// holds only its SHA-256 (``idHash``), so a copy of the database opens no
/// session.
struct Session: Sendable, Equatable {
    let idHash: [UInt8]
    /// Sessions exist for logged-in users only: visitors' forms carry a
    /// stateless token (``VisitorCSRF``).
    let userID: Int64
    /// The synchronizer token every POST form of this session must carry.
    let csrfToken: String
    let createdAt: Date
    var lastSeenAt: Date
    /// The browser the session began in, as ``ClientLabel`` words it.
    var clientLabel = ""
}
