import HTTP

/// What the application knows about a request before its handler runs.
struct RequestContext: Sendable {
    /// The request's live session, if any (logged in or not).
    var session: Session?
    /// The logged-in user, if any.
    var user: User?
    /// The logged-in user's Attio connection, read with the session.
    var attio: AttioConnection?
    /// The state of that connection's task copy, read with it.
    var taskCopy: TaskCopyState?
    /// The decoded form of a POST (already CSRF-checked); empty otherwise.
    var form = Parameters()
    /// Whether the visitor came over TLS: cookies get `Secure`.
    var secure: Bool
    /// What the handler wants done with the session (see ``SessionIntent``).
    private(set) var sessionIntent = SessionIntent.keep
    /// A new visitor nonce the response must set (``VisitorCSRF``), if a
    /// form shown to a logged-out visitor needed one.
    var newVisitorNonce: String?

    /// Drops what the handler asked for: it failed, so nothing changes.
    mutating func forgetIntents() {
        sessionIntent = .keep
        newVisitorNonce = nil
    }

    /// Asks for the session to be started or ended once the handler returns.
    mutating func session(_ intent: SessionIntent) {
        sessionIntent = intent
    }
}
