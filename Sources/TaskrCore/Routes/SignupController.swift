import HTTP
import Logging

/// `GET /signup` and `POST /signup`.
struct SignupController: Controller {
    let form: AccountForm
    let users: any UserStore
    let passwords: PasswordService
    let rules: PasswordRules
    let clock: any WallClock
    let logger: Logger

    /// Creates the account, logs it in with a new session, 303 to `/`.
    /// Invalid fields: 400 and the form again, saying what is wrong; a taken
    /// username: 409.
    func submit(_ request: Request, _ context: inout RequestContext) throws -> Response {
        let (typedName, password) = AccountForm.credentials(in: context)
        let username: Username
        do {
            username = try Username(validating: typedName)
            try rules.validate(password)
        } catch {
            return form.page(request, &context, username: typedName, error: error.message, status: .badRequest)
        }
        // Checked before hashing, so a taken name costs no Argon2 run; the
        // insert below still settles a race between two sign-ups.
        let hash = try passwords.hash(password)
        guard try users.user(usernameKey: username.key) == nil,
            let user = try users.create(username: username, passwordHash: hash, at: clock.now())
        else {
            return form.page(request, &context, username: typedName, error: "Username already taken. Choose another one.", status: .conflict)
        }
        context.session(.start(userID: user.id, credential: hash))
        logger.info("signed up user \(user.id)")
        return .redirect(to: "/")
    }
}

extension SignupController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/signup") { request, context in form.show(request, &context) }
        router.add(.post, "/signup", slow: true, submit)
    }
}
