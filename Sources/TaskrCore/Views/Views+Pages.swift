import HTTP
import Mustache

extension Views {
    /// `GET /`: logged out, or logged in as `user` (with the forms' token)
    /// and what there is to show of Attio.
    func home(user: User?, csrf: String?, attio: Dashboard = .notConnected) -> String {
        render(
            "home",
            HomePage(
                user: user.map { user in
                    HomePage.LoggedIn(username: user.username, csrf: csrf ?? "", attio: attio)
                }))
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
        var page: [String: Any] = ["csrf": csrf]
        page["username"] = username
        return render("logout", page)
    }

    /// `GET /integrations/attio/connect` without client credentials.
    func attioNotConfigured(missing: [String]) -> String {
        render("attio-not-configured", ["missing": missing])
    }

    /// Attio sent the user back with `error=…` (e.g. `access_denied`).
    func attioCancelled(reason: String) -> String {
        render("attio-cancelled", ["reason": reason])
    }

    /// The page for any error: status, reason and a message safe to show.
    func error(_ error: HTTPError) -> String {
        render("error", ["status": error.status.code, "reason": error.status.reasonPhrase, "message": error.message])
    }
}

// The template contexts name their fields for mustache explicitly
// (`MustacheParent`): looking them up by reflection (Mirror) cost more than
// the rest of a request.

/// What `home.mustache` reads.
private struct HomePage: MustacheParent {
    struct LoggedIn: MustacheParent {
        let username: String
        let csrf: String
        let attio: Dashboard

        func child(named name: String) -> Any? {
            switch name {
            case "username": username
            case "csrf": csrf
            case "attio": attio
            default: nil
            }
        }
    }

    let user: LoggedIn?

    func child(named name: String) -> Any? {
        name == "user" ? user : nil
    }
}

extension Dashboard: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "isConnected": isConnected
        case "workspaceName": workspaceName
        case "hasTasks": !tasks.isEmpty
        case "tasks": tasks
        case "notice": notice?.words
        default: nil
        }
    }
}

extension Dashboard.Task: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "deadline": deadline
        case "isCompleted": isCompleted
        case "assignees": assignees
        default: nil
        }
    }
}

/// What the sign-up and log-in forms show.
private struct FormPage: MustacheParent {
    let csrf: String
    let username: String
    let error: String?

    func child(named name: String) -> Any? {
        switch name {
        case "csrf": csrf
        case "username": username
        case "error": error
        default: nil
        }
    }
}

extension Views {
    /// `GET /account` (and the same page after a refused step).
    func account(_ page: AccountPage) -> String {
        render("account", page)
    }
}

/// What `account.mustache` reads.
struct AccountPage: MustacheParent {
    struct SessionLine: MustacheParent {
        let label: String
        let began: String
        let lastUsed: String
        let isCurrent: Bool

        func child(named name: String) -> Any? {
            switch name {
            case "label": label
            case "began": began
            case "lastUsed": lastUsed
            case "isCurrent": isCurrent
            default: nil
            }
        }
    }

    let username: String
    let csrf: String
    let sessions: [SessionLine]
    let notice: String?
    let passwordError: String?
    let deleteError: String?

    func child(named name: String) -> Any? {
        switch name {
        case "username": username
        case "csrf": csrf
        case "sessions": sessions
        case "hasOtherSessions": sessions.count > 1
        case "notice": notice
        case "passwordError": passwordError
        case "deleteError": deleteError
        default: nil
        }
    }
}
