import HTTP

extension SessionManager {
    /// A page with a form: rendered with the CSRF token of the request's
    /// session, or of a new visitor session (forms shown to logged-out
    /// visitors carry a token too), whose cookie the response then sets.
    ///
    /// - Parameter render: the page's HTML, given the CSRF token.
    func formPage(_ context: RequestContext, status: Status = .ok, render: (_ csrf: String) -> String) throws -> Response {
        let (session, cookie): (Session, SetCookie?) =
            try context.session.map { ($0, nil) } ?? start(userID: nil, replacing: nil, secure: context.secure)
        var response = Response.html(render(session.csrfToken), status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }
}
