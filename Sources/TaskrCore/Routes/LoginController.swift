import HTTP
import Logging

/// `GET /login` and `POST /login`.
struct LoginController: Controller {
    static let wrongCredentials = "Wrong username or password."

    let form: AccountForm
    let users: any UserStore
    let passwords: PasswordService
    let credentials: CredentialCheck
    let logger: Logger

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
            credentials.securityLog.failedLogin(usernameKey: key, userID: nil, request: request, reason: "username longer than any account's")
            return form.page(request, &context, username: typedName, error: Self.wrongCredentials, status: .unauthorized)
        }
        switch try credentials.check(usernameKey: key, password: password, request: request, step: "log-in") {
        case let .locked(wait, byAddress):
            let reason = byAddress ? "from your network" : "for this username from your network"
            var response = form.page(
                request, &context, username: typedName,
                error: "Too many failed log-ins \(reason). Try again in \(wait) seconds.", status: .tooManyRequests)
            response.headers["Retry-After"] = String(wait)
            return response
        case .wrong:
            return form.page(request, &context, username: typedName, error: Self.wrongCredentials, status: .unauthorized)
        case let .verified(user):
            var credential = user.passwordHash
            if passwords.needsRehash(user.passwordHash) {
                let rehashed = try passwords.hash(password)
                // Only over the hash just verified: a password change in between wins.
                if try users.replacePasswordHash(userID: user.id, user.passwordHash, with: rehashed) {
                    credential = rehashed
                    logger.info("rehashed the password of user \(user.id) with the current parameters")
                }
            }
            context.session(.start(userID: user.id, credential: credential))
            logger.info("logged in user \(user.id)")
            return .redirect(to: "/")
        }
    }
}

extension LoginController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/login") { request, context in form.show(request, &context) }
        router.add(.post, "/login", slow: true, submit)
    }
}
