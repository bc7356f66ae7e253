import HTTP
import Logging

/// `GET /logout` and `POST /logout`.
struct LogoutController: Sendable {
    let views: Views
    let sessions: SessionManager
    let logger: Logger

    /// A page with the logout button (logging out changes state, so it is a POST).
    func page(_ request: Request, _ context: RequestContext) throws -> Response {
        sessions.formPage(request, context) { views.logout(csrf: $0, username: context.user?.username) }
    }

    /// Destroys the session on the server, expires the cookie, 303 to `/`.
    func submit(_ request: Request, _ context: RequestContext) throws -> Response {
        var response = Response.redirect(to: "/")
        if let session = context.session {
            response.setCookie(try sessions.end(session, secure: context.secure))
            if let user = context.user { logger.info("logged out user \(user.id)") }
        }
        return response
    }
}
