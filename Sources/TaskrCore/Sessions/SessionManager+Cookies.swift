import HTTP

extension SessionManager {
    /// A page with a form, rendered with the CSRF token of the request's
    /// session, or for a logged-out visitor with a stateless
    /// ``VisitorCSRF`` token (the visitor's nonce cookie is set by
    /// ``writeCookies(into:for:context:)`` when the visitor has none yet).
    /// Writes nothing to the database.
    ///
    /// - Parameter render: the page's HTML, given the CSRF token.
    func formPage(_ request: Request, _ context: inout RequestContext, status: Status = .ok, render: (_ csrf: String) -> String) -> Response {
        if let session = context.session { return Response.html(render(session.csrfToken), status: status) }
        let (token, newNonce) = visitorCSRF.issue(for: request)
        if let newNonce { context.newVisitorNonce = newNonce }
        return Response.html(render(token), status: status)
    }

    /// The one place that writes `Set-Cookie`, after the handler: carries
    /// out the handler's ``SessionIntent``, sets a new visitor nonce, and
    /// drops a session cookie that names no live session.
    func writeCookies(into response: inout Response, for request: Request, context: RequestContext) throws {
        switch context.sessionIntent {
        case let .start(userID, credential):
            let (_, cookie) = try start(
                userID: userID, credential: credential, replacing: context.session, userAgent: request.headers["User-Agent"],
                secure: context.secure)
            response.setCookie(cookie)
        case .end:
            if let session = context.session { try end(session) }
            if request.cookies[Self.cookieName] != nil { response.setCookie(.expiring(Self.cookieName, secure: context.secure)) }
        case .keep:
            if context.session == nil, request.cookies[Self.cookieName] != nil {
                response.setCookie(.expiring(Self.cookieName, secure: context.secure))
            }
        }
        if let nonce = context.newVisitorNonce {
            response.setCookie(
                SetCookie(
                    name: VisitorCSRF.cookieName, value: nonce, path: "/", secure: context.secure, httpOnly: true, sameSite: .lax))
        }
    }
}
