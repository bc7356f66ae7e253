import HTTP
import Logging

/// `GET /login` and `POST /login`.
struct LoginController: Sendable {
    static let wrongCredentials = "Wrong username or password."

    let views: Views
    let users: any UserStore
    let passwords: PasswordService
    let throttle: LoginThrottle
    let sessions: SessionManager
    let clock: any WallClock
    let logger: Logger

    /// The form; a logged-in user goes home instead.
    func form(_ request: Request, _ context: RequestContext) throws -> Response {
        if context.user != nil { return .redirect(to: "/") }
        return try page(context)
    }

    /// Right credentials: a new session (the pre-login id stops working),
    /// 303 to `/`. Wrong ones: 401 with one message for an unknown user and
    /// a wrong password. Too many failures for the username: 429.
    func submit(_ request: Request, _ context: RequestContext) throws -> Response {
        let typedName = context.form["username"] ?? ""
        let password = context.form["password"] ?? ""
        let key = Username.key(for: typedName)
        guard !key.isEmpty, !password.isEmpty else {
            return try page(context, username: typedName, error: "Enter your username and password.", status: .badRequest)
        }
        let now = clock.now()
        if let wait = try throttle.retryAfter(usernameKey: key, now: now) {
            var response = try page(
                context, username: typedName,
                error: "Too many failed log-ins for this username. Try again in \(wait) seconds.",
                status: .tooManyRequests)
            response.headers["Retry-After"] = String(wait)
            return response
        }
        let found = try users.user(usernameKey: key)
        guard try passwords.verify(password, against: found?.passwordHash), let user = found else {
            try throttle.recordFailure(usernameKey: key, now: now)
            // No username in the log: people type passwords into that field.
            logger.info("failed log-in")
            return try page(context, username: typedName, error: Self.wrongCredentials, status: .unauthorized)
        }
        try throttle.reset(usernameKey: key)
        if passwords.needsRehash(user.passwordHash) {
            try users.updatePasswordHash(userID: user.id, to: try passwords.hash(password))
            logger.info("rehashed the password of user \(user.id) with the current parameters")
        }
        let (_, cookie) = try sessions.start(userID: user.id, replacing: context.session, secure: context.secure)
        logger.info("logged in user \(user.id)")
        var response = Response.redirect(to: "/")
        response.setCookie(cookie)
        return response
    }

    private func page(_ context: RequestContext, username: String = "", error: String? = nil, status: Status = .ok) throws -> Response {
        try sessions.formPage(context, status: status) { views.login(csrf: $0, username: username, error: error) }
    }
}
