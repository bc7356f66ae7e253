import HTTP

/// `GET /`: the home page, logged out or logged in (with the user's Attio tasks).
struct HomeController: Controller {
    let views: Views
    let feed: TaskFeed
    /// The logged-out page is the same for everyone: rendered once.
    private let loggedOut: Response
    /// A logged-in page depends only on these; the same ones come back on
    /// every visit of a session.
    private struct Inputs: Hashable, Sendable {
        let user: User
        let csrf: String
        let attio: Dashboard
    }
    private let pages = RenderCache<Inputs>(capacity: 1024)

    init(views: Views, feed: TaskFeed) {
        self.views = views
        self.feed = feed
        self.loggedOut = .html(views.home(user: nil, csrf: nil))
    }

    func show(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return loggedOut }
        let inputs = Inputs(user: user, csrf: session.csrfToken, attio: try feed.dashboard(for: user, connection: context.attio))
        return .html(pages.page(for: inputs) { views.home(user: $0.user, csrf: $0.csrf, attio: $0.attio) })
    }
}

extension HomeController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/", show)
    }
}
