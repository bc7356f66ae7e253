import Foundation
import HTTP
import Sodium

/// Sessions as the routes see them: find the request's session, start one,
/// end one, and the `taskr_session` cookie that goes with each.
struct SessionManager: Sendable {
    static let cookieName = "taskr_session"

    let store: any SessionStore
    let policy: SessionPolicy
    let clock: any WallClock
    let random: any RandomSource
    /// The CSRF tokens of logged-out visitors' forms.
    let visitorCSRF: VisitorCSRF

    /// The live session the request's cookie names, with its user and Attio
    /// connection (one query), or nil:
    /// no cookie, an unknown, tampered or expired one. Writes only to
    /// refresh "last seen" of a live session (at most once per
    /// ``SessionPolicy/touchInterval``); expired rows are left to
    /// housekeeping, so a logged-out visitor's request writes nothing.
    func session(for request: Request) throws -> SessionRecord? {
        guard let token = request.cookies[Self.cookieName], Base64URL.isToken(token) else { return nil }
        let idHash = SHA256.hash(Array(token.utf8))
        guard var found = try store.session(idHash: idHash) else { return nil }
        let now = clock.now()
        if policy.isExpired(found.session, now: now) { return nil }
        if policy.needsTouch(found.session, now: now) {
            try store.touch(idHash: idHash, at: now)
            found.session.lastSeenAt = now
        }
        return found
    }

    /// Starts a new session with a new id and CSRF token, replacing
    /// `previous` (which stops working at once).
    ///
    /// - Parameters:
    ///   - userID: the user who signed up or logged in.
    ///   - userAgent: the browser's `User-Agent`, kept as a ``ClientLabel``.
    /// - Returns: the session and the cookie that carries its id.
    /// - Throws: ``credentialChanged`` when the user's password hash is no
    ///   longer `credential` (it changed after the password was checked).
    func start(userID: Int64, credential: String, replacing previous: Session?, userAgent: String?, secure: Bool) throws -> (
        Session, SetCookie
    ) {
        let token = random.token()
        let now = clock.now()
        let session = Session(
            idHash: SHA256.hash(Array(token.utf8)),
            userID: userID,
            csrfToken: random.token(),
            createdAt: now,
            lastSeenAt: now,
            clientLabel: ClientLabel.describe(userAgent: userAgent))
        guard try store.insert(session, replacing: previous?.idHash, credential: credential) else { throw Self.credentialChanged }
        return (session, cookie(token, secure: secure))
    }

    /// Ends `session` on the server.
    func end(_ session: Session) throws {
        try store.delete(idHash: session.idHash)
    }

    /// The user's live sessions, most recently used first.
    func liveSessions(of userID: Int64) throws -> [Session] {
        let now = clock.now()
        return try store.sessions(userID: userID).filter { !policy.isExpired($0, now: now) }
    }

    /// Ends every session of the user except `session`; returns how many.
    func endOthers(than session: Session) throws -> Int {
        try store.deleteAll(userID: session.userID, keeping: session.idHash)
    }

    /// Deletes expired sessions (housekeeping; not on the request path).
    func removeExpired() throws -> Int {
        let now = clock.now()
        return try store.deleteExpired(
            idleBefore: now.addingTimeInterval(-policy.idleTimeout),
            createdBefore: now.addingTimeInterval(-policy.maximumAge))
    }

    /// `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` over TLS. No
    /// `Max-Age`: the cookie ends with the browser session, and the server
    /// enforces the idle and absolute limits whatever the browser keeps.
    private func cookie(_ token: String, secure: Bool) -> SetCookie {
        SetCookie(name: Self.cookieName, value: token, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// A log-in (or sign-up) whose password check raced a password change:
    /// no session is made, and the person logs in with the current password.
    static let credentialChanged = HTTPError(
        .unauthorized, "Your password was changed while you were logging in. Log in with the current password.")
}
