import HTTP

extension Views {
    /// `GET /`: logged out, or logged in as `user` (with the forms' token)
    /// and what there is to show of Attio.
    func home(user: User?, csrf: String?, attio: Dashboard = .notConnected) -> String {
        struct Task { let text: String; let deadline: String?; let isCompleted: Bool; let assignees: String? }
        struct Attio { let isConnected: Bool; let workspaceName: String?; let hasTasks: Bool; let tasks: [Task]; let notice: String?; let csrf: String }
        struct LoggedIn { let username: String; let csrf: String; let attio: Attio }
        struct Page { let user: LoggedIn? }
        let token = csrf ?? ""
        return render("home", Page(user: user.map { user in
            LoggedIn(username: user.username, csrf: token, attio: Attio(
                isConnected: attio.isConnected, workspaceName: attio.workspaceName, hasTasks: !attio.tasks.isEmpty,
                tasks: attio.tasks.map { Task(text: $0.text, deadline: $0.deadline, isCompleted: $0.isCompleted, assignees: $0.assignees) },
                notice: attio.notice, csrf: token))
        }))
    }

    /// `GET /integrations/attio/connect` without client credentials.
    func attioNotConfigured(missing: [String]) -> String {
        struct Page { let missing: [String] }
        return render("attio-not-configured", Page(missing: missing))
    }

    /// Attio sent the user back with `error=…` (e.g. `access_denied`).
    func attioCancelled(reason: String) -> String {
        struct Page { let reason: String }
        return render("attio-cancelled", Page(reason: reason))
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
