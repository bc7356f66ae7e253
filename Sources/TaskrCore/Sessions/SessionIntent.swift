/// What a handler wants done with the visitor's session. Handlers say it
/// through ``RequestContext/session(_:)``; ``SessionManager/writeCookies(into:for:context:)``
/// carries it out after the handler returns, and is the only place that
/// writes a `Set-Cookie` (as hummingbird-auth's `SessionMiddleware` does).
enum SessionIntent: Sendable, Equatable {
    /// Leave it as it is.
    case keep
    /// Start a new session for this user (sign-up, log-in), replacing the
    /// request's session if it had one. `credential` is the password hash
    /// the person was verified against: the session is made only while it
    /// is still the user's (a log-in racing a password change gets none).
    case start(userID: Int64, credential: String)
    /// End the request's session (log-out).
    case end
}
