import HTTP

extension Views {
    /// `GET /`: logged out, or logged in as `user` with the logout form's token.
    func home(user: User?, csrf: String?) -> String {
        struct LoggedIn { let username: String; let csrf: String }
        struct Page { let user: LoggedIn? }
        return render("home", Page(user: user.map { LoggedIn(username: $0.username, csrf: csrf ?? "") }))
    }

    /// The sign-up form, with the username typed so far and what was wrong.
    func signup(csrf: String, username: String = "", error: String? = nil) -> String {
        render("signup", FormPage(csrf: csrf, username: username, error: error))
    }

    /// The log-in form, with the username typed so far and what was wrong.
    func login(csrf: String, username: String = "", error: String? = nil) -> String {
        render("login", FormPage(csrf: csrf, username: username, error: error))
    }

    /// `GET /logout`: a button that posts the logout.
    func logout(csrf: String, username: String?) -> String {
        struct Page { let csrf: String; let username: String? }
        return render("logout", Page(csrf: csrf, username: username))
    }

    /// The page for any error: status, reason and a message safe to show.
    func error(_ error: HTTPError) -> String {
        struct Page { let status: Int; let reason: String; let message: String }
        return render("error", Page(status: error.status.code, reason: error.status.reasonPhrase, message: error.message))
    }
}

/// What the sign-up and log-in forms show.
private struct FormPage {
    let csrf: String
    let username: String
    let error: String?
}
