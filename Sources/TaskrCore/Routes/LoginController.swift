import HTTP
import Logging

/// `GET /login` and `POST /login`.
struct LoginController: Controller {
    static let wrongCredentials = "Wrong username or password."

    let form: AccountForm
    let users: any UserStore
    let passwords: PasswordService
    let throttle: LoginThrottle
    let pacer: LoginPacer
    let clock: any WallClock
    let securityLog: SecurityLog

    /// Right credentials: a new session (replacing any the browser held),
    /// 303 to `/`. Wrong ones: 401 with one message for an unknown user and
    /// a wrong password. Locked by the throttle: 429 without a password check.
    func submit(_ request: Request, _ context: inout RequestContext) throws -> Response {
        let (typedName, password) = AccountForm.credentials(in: context)
        let key = Username.key(for: typedName)
        guard !key.isEmpty, !password.isEmpty else {
            return form.page(request, &context, username: typedName, error: "Enter your username and password.", status: .badRequest)
        }
        // No account can have a longer name: refused before the throttle or
        // the database see it.
        guard key.count <= Username.maximumLength else {
            securityLog.failedLogin(usernameKey: key, userID: nil, request: request, reason: "username longer than any account's")
            return form.page(request, &context, username: typedName, error: Self.wrongCredentials, status: .unauthorized)
        }
        let attempt: LoginThrottle.Attempt
        switch try throttle.admit(usernameKey: key, address: request.remoteAddress, now: clock.now()) {
        case let .refused(wait, byAddress):
            securityLog.lockedLogin(usernameKey: key, request: request, seconds: wait, byAddress: byAddress)
            let reason = byAddress ? "from your network" : "for this username from your network"
            var response = form.page(
                request, &context, username: typedName,
                error: "Too many failed log-ins \(reason). Try again in \(wait) seconds.", status: .tooManyRequests)
            response.headers["Retry-After"] = String(wait)
            return response
        case let .admitted(admitted):
            attempt = admitted
        }
        guard pacer.pause(attempt.delay) else { throw Application.busy }
        let found = try users.user(usernameKey: key)
        guard try passwords.verify(password, against: found?.passwordHash), let user = found else {
            securityLog.failedLogin(usernameKey: key, userID: found?.id, request: request, reason: "wrong username or password")
            return form.page(request, &context, username: typedName, error: Self.wrongCredentials, status: .unauthorized)
        }
        try throttle.succeeded(attempt, now: clock.now())
        if passwords.needsRehash(user.passwordHash) {
            try users.updatePasswordHash(userID: user.id, to: try passwords.hash(password))
            securityLog.logger.info("rehashed the password of user \(user.id) with the current parameters")
        }
        context.session(.start(userID: user.id))
        securityLog.logger.info("logged in user \(user.id)")
        return .redirect(to: "/")
    }
}

extension LoginController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/login") { request, context in form.show(request, &context) }
        router.add(.post, "/login", submit)
    }
}
