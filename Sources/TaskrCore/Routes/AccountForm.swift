import HTTP

/// The username-and-password form that sign-up and log-in share: shown to
/// logged-out visitors (a logged-in one goes home), shown again after a
/// refusal with the name typed so far and what was wrong.
struct AccountForm: Sendable {
    enum Kind: Sendable { case signup, login }

    let kind: Kind
    let views: Views
    let sessions: SessionManager

    /// `GET`: the form; a logged-in user goes home instead.
    func show(_ request: Request, _ context: inout RequestContext) -> Response {
        if context.user != nil { return .redirect(to: "/") }
        return page(request, &context)
    }

    /// What a `POST` of this form carries: the username as typed, and the
    /// password (each empty when missing).
    static func credentials(in context: RequestContext) -> (typedName: String, password: String) {
        (context.form["username"] ?? "", context.form["password"] ?? "")
    }

    /// The form again, with `username` filled in and `error` shown.
    func page(
        _ request: Request, _ context: inout RequestContext, username: String = "", error: String? = nil, status: Status = .ok
    ) -> Response {
        sessions.formPage(request, &context, status: status) { csrf in
            switch kind {
            case .signup: views.signup(csrf: csrf, username: username, error: error)
            case .login: views.login(csrf: csrf, username: username, error: error)
            }
        }
    }
}
