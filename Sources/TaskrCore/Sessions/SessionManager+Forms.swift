import HTTP

extension SessionManager {
    /// A page with a form, rendered with the CSRF token of the request's
    /// session, or for a logged-out visitor with a stateless
    /// ``VisitorCSRF`` token (whose nonce cookie the response sets when the
    /// visitor has none yet). Writes nothing to the database.
    ///
    /// - Parameter render: the page's HTML, given the CSRF token.
    func formPage(_ request: Request, _ context: RequestContext, status: Status = .ok, render: (_ csrf: String) -> String) -> Response {
        if let session = context.session { return Response.html(render(session.csrfToken), status: status) }
        let (token, cookie) = visitorCSRF.issue(for: request, secure: context.secure)
        var response = Response.html(render(token), status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }
}
