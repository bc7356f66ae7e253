import HTTP
import Mustache

extension Views {
    /// `GET /`: logged out, or logged in as `user` (with the forms' token)
    /// and what there is to show of Attio.
    func home(user: User?, csrf: String?, board: Board = .notConnected) -> String {
        render(
            "home",
            HomePage(
                user: user.map { user in
                    HomePage.LoggedIn(username: user.username, csrf: csrf ?? "", attio: board)
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
        let attio: Board

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

extension Board: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "isConnected": isConnected
        case "workspaceName": workspaceName
        case "isFetching": isFetching
        case "isUnreadable": isUnreadable
        case "updated": updated
        case "notice": failure?.words
        case "isTruncated": isTruncated
        case "truncatedAt": TaskCopy.maximumTasks
        case "memberUnknown": memberUnknown
        case "hasTasks": !tasks.isEmpty
        case "tasks": tasks
        case "emptyWords": emptyWords
        case "summary": total == 0 ? nil : "\(first)–\(first + tasks.count - 1) of \(total) \(noun)"
        case "filters": filters
        case "previous": query.page > 1 ? query.link(page: min(query.page - 1, pageCount)) : nil
        case "next": query.page < pageCount ? query.link(page: query.page + 1) : nil
        case "pageWords": pageCount > 1 ? "page \(min(query.page, pageCount)) of \(pageCount)" : nil
        // The filters and page, carried through the task forms.
        case "show": query.show.rawValue
        case "assignee": query.assignee.rawValue
        case "page": query.page
        case "webhookNote": webhookNote
        default: nil
        }
    }

    private var first: Int { (query.page - 1) * TaskQuery.pageSize + 1 }

    /// When changes made in Attio cannot arrive by webhook, say so.
    private var webhookNote: String? {
        switch webhook {
        case .noScope?:
            "Attio did not grant Taskr the webhook:read-write scope, so changes made in Attio show here when the list is next refreshed (after 30 seconds on this page)."
        case .failed?:
            "Attio did not register Taskr's webhook, so changes made in Attio show here when the list is next refreshed (after 30 seconds on this page)."
        case .live?, nil: nil
        }
    }

    private var noun: String {
        switch query.show {
        case .open: "open tasks"
        case .done: "done tasks"
        case .all: "tasks"
        }
    }

    /// Why no task is listed.
    private var emptyWords: String? {
        guard tasks.isEmpty else { return nil }
        if total > 0 { return "There is no page \(query.page); the last is page \(pageCount)." }
        if memberUnknown { return "Attio did not say which member connected Taskr, so no task can be shown as yours." }
        return switch (query.show, query.assignee) {
        case (.open, .anyone): "No open tasks in this workspace."
        case (.done, .anyone): "No done tasks in this workspace."
        case (.all, .anyone): "No tasks in this workspace yet."
        case (_, .me): "No \(noun) assigned to you."
        }
    }

    /// The filter links: each show and assignee value, the current one marked.
    private var filters: [[String: Any]] {
        let shows = TaskQuery.Show.allCases.map { show in
            [
                "label": show.rawValue.capitalized, "href": TaskQuery(show: show, assignee: query.assignee).link(page: 1),
                "current": show == query.show,
            ]
        }
        let assignees = TaskQuery.Assignee.allCases.map { assignee in
            [
                "label": assignee == .me ? "Mine" : "Anyone's", "href": TaskQuery(show: query.show, assignee: assignee).link(page: 1),
                "current": assignee == query.assignee,
            ]
        }
        return shows + [["separator": true]] + assignees
    }
}

extension TaskCopy.Task: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "text": text
        case "deadline": deadline.map(Self.formatDeadline)
        case "isCompleted": isCompleted
        case "assignees": assignees.isEmpty ? nil : assignees.joined(separator: ", ")
        default: nil
        }
    }

    /// `2023-01-01T15:00:00.000000000Z` → `2023-01-01 15:00 UTC`; a bare
    /// date stays as it is; anything else is shown as sent (escaped).
    static func formatDeadline(_ value: String) -> String {
        let parts = value.split(separator: "T", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 10, parts[1].count >= 5, value.hasSuffix("Z") else { return value }
        return "\(parts[0]) \(parts[1].prefix(5)) UTC"
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
