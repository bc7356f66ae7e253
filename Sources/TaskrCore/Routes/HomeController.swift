import HTTP

/// `GET /`: the home page, logged out or logged in (with the user's Attio tasks).
struct HomeController: Sendable {
    let views: Views
    let attio: AttioService
    /// The logged-out page is the same for everyone: rendered once.
    private let loggedOut: Response

    init(views: Views, attio: AttioService) {
        self.views = views
        self.attio = attio
        self.loggedOut = .html(views.home(user: nil, csrf: nil))
    }

    func show(_ request: Request, _ context: RequestContext) throws -> Response {
        guard let user = context.user else { return loggedOut }
        return .html(views.home(user: user, csrf: context.session?.csrfToken, attio: try attio.dashboard(for: user)))
    }
}
