import HTTP

/// `GET /`: the home page, logged out or logged in.
struct HomeController: Sendable {
    let views: Views

    func show(_ request: Request, _ context: RequestContext) -> Response {
        .html(views.home(user: context.user, csrf: context.session?.csrfToken))
    }
}
