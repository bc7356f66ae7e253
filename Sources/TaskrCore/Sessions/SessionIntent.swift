/// What a handler wants done with the visitor's session. Handlers say it
/// through ``RequestContext/session(_:)``; ``SessionManager/writeCookies(into:for:context:)``
/// carries it out after the handler returns, and is the only place that
/// writes a `Set-Cookie` (as hummingbird-auth's `SessionMiddleware` does).
enum SessionIntent: Sendable, Equatable {
    /// Leave it as it is.
    case keep
    /// Start a new session for this user (sign-up, log-in), replacing the
    /// request's session if it had one.
    case start(userID: Int64)
    /// End the request's session (log-out).
    case end
}
