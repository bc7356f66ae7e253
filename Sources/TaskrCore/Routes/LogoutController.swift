import HTTP
import Logging

/// `GET /logout` and `POST /logout`.
struct LogoutController: Controller {
    let views: Views
    let sessions: SessionManager
    let logger: Logger

    /// A page with the logout button (logging out changes state, so it is a POST).
    func page(_ request: Request, _ context: inout RequestContext) throws -> Response {
        let username = context.user?.username
        return sessions.formPage(request, &context) { views.logout(csrf: $0, username: username) }
    }

    /// Destroys the session on the server, expires the cookie, 303 to `/`.
    func submit(_ request: Request, _ context: inout RequestContext) throws -> Response {
        context.session(.end)
        if let user = context.user { logger.info("logged out user \(user.id)") }
        return .redirect(to: "/")
    }
}

extension LogoutController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/logout", page)
        router.add(.post, "/logout", submit)
    }
}
