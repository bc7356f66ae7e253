import HTTP

/// What the application knows about a request before its handler runs.
struct RequestContext: Sendable {
    /// The request's live session, if any (logged in or not).
    var session: Session?
    /// The logged-in user, if any.
    var user: User?
    /// The logged-in user's Attio connection, read with the session.
    var attio: AttioConnection?
    /// The decoded form of a POST (already CSRF-checked); empty otherwise.
    var form = Parameters()
    /// Whether the visitor came over TLS: cookies get `Secure`.
    var secure: Bool
}
