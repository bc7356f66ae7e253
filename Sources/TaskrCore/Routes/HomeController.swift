import HTTP

/// `GET /`: the home page, logged out or logged in (with the user's Attio tasks).
struct HomeController: Sendable {
    let views: Views
    let attio: AttioService

    func show(_ request: Request, _ context: RequestContext) throws -> Response {
        guard let user = context.user else { return .html(views.home(user: nil, csrf: nil)) }
        return .html(views.home(user: user, csrf: context.session?.csrfToken, attio: try attio.dashboard(for: user)))
    }
}
