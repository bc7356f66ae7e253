import Foundation
import HTTP
import Logging

/// `/account`: the user's live sessions, change password, log out the
/// other sessions, delete the account. Every step needs a session; the two
/// that change the account ask for the password again, checked as a log-in
/// (``CredentialCheck``).
struct AccountController: Controller {
    let views: Views
    let sessions: SessionManager
    let users: any UserStore
    let passwords: PasswordService
    let rules: PasswordRules
    let credentials: CredentialCheck
    let attio: AttioConnector
    let logger: Logger

    /// What a finished step says on the page it redirects to (`?done=…`).
    enum Notice: String {
        case password, sessions

        var words: String {
            switch self {
            case .password: "Your password was changed. Every other session was logged out."
            case .sessions: "Your other sessions were logged out."
            }
        }
    }

    /// Which form a refusal is shown beside.
    enum Section { case password, delete }

    func show(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return .redirect(to: "/login") }
        return try page(user, session, notice: request.query["done"].flatMap(Notice.init(rawValue:)))
    }

    /// `POST /account/password`: the current password (a wrong one is a
    /// failed log-in: 401, or 429 when locked) and a valid new one (400
    /// saying why). Stores the new hash and ends every other session in one
    /// transaction, then gives this session a new id.
    func changePassword(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return .redirect(to: "/login") }
        let current = context.form["current_password"] ?? ""
        let new = context.form["new_password"] ?? ""
        guard !current.isEmpty else {
            return try page(user, session, refused: (.password, "Enter your current password."), status: .badRequest)
        }
        do {
            try rules.validate(new)
        } catch {
            return try page(user, session, refused: (.password, error.message), status: .badRequest)
        }
        if let refusal = try refusal(checking: current, of: user, session, request, section: .password, step: "password change") {
            return refusal
        }
        let hash = try passwords.hash(new)
        let ended = try users.changePassword(userID: user.id, to: hash, keepingSession: session.idHash)
        context.session(.start(userID: user.id, credential: hash))
        logger.info("user \(user.id) changed their password; \(ended) other session(s) ended")
        return .redirect(to: "/account?done=\(Notice.password.rawValue)")
    }

    /// `POST /account/sessions/revoke`: every other session of the user ends.
    func revokeOtherSessions(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return .redirect(to: "/login") }
        let ended = try sessions.endOthers(than: session)
        logger.info("user \(user.id) logged out \(ended) other session(s)")
        return .redirect(to: "/account?done=\(Notice.sessions.rawValue)")
    }

    /// `POST /account/delete`: with the right password, revokes the Attio
    /// token (best effort, bounded), deletes the user and everything stored
    /// for them in one transaction, and ends this session: the name is free.
    func delete(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return .redirect(to: "/login") }
        let password = context.form["password"] ?? ""
        guard !password.isEmpty else {
            return try page(user, session, refused: (.delete, "Enter your password to delete your account."), status: .badRequest)
        }
        if let refusal = try refusal(checking: password, of: user, session, request, section: .delete, step: "account deletion") {
            return refusal
        }
        if context.attio != nil { try attio.disconnect(user: user) }
        guard try users.delete(userID: user.id, throttleKey: ThrottleKeys.usernameDigest(Username.key(for: user.username))) else {
            throw HTTPError(.notFound, "This account no longer exists.")
        }
        context.session(.end)
        logger.info("deleted user \(user.id) at their request")
        return .redirect(to: "/")
    }

    /// The page again with why the password was refused (401, or 429 with
    /// `Retry-After` when locked); nil when it was right.
    private func refusal(
        checking password: String, of user: User, _ session: Session, _ request: Request, section: Section, step: String
    ) throws -> Response? {
        switch try credentials.check(usernameKey: Username.key(for: user.username), password: password, request: request, step: step) {
        case .verified:
            return nil
        case .wrong:
            return try page(user, session, refused: (section, "That is not your current password."), status: .unauthorized)
        case let .locked(wait, _):
            var response = try page(
                user, session, refused: (section, "Too many wrong passwords. Try again in \(wait) seconds."),
                status: .tooManyRequests)
            response.headers["Retry-After"] = String(wait)
            return response
        }
    }

    private func page(
        _ user: User, _ session: Session, notice: Notice? = nil, refused: (Section, String)? = nil, status: Status = .ok
    ) throws -> Response {
        let live = try sessions.liveSessions(of: user.id).map { live in
            AccountPage.SessionLine(
                label: live.clientLabel.isEmpty ? "Unknown browser" : live.clientLabel, began: live.createdAt.utcMinuteText,
                lastUsed: live.lastSeenAt.utcMinuteText, isCurrent: live.idHash == session.idHash)
        }
        let html = views.account(
            AccountPage(
                username: user.username, csrf: session.csrfToken, sessions: live, notice: notice?.words,
                passwordError: refused?.0 == .password ? refused?.1 : nil, deleteError: refused?.0 == .delete ? refused?.1 : nil))
        return .html(html, status: status)
    }
}

extension AccountController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/account", show)
        router.add(.post, "/account/password", slow: true, changePassword)
        router.add(.post, "/account/sessions/revoke", revokeOtherSessions)
        router.add(.post, "/account/delete", slow: true, delete)
    }
}
