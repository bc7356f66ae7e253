import HTTP

/// `GET /`: the home page, logged out or logged in (with the user's Attio
/// tasks, from Taskr's copy: never a call to Attio).
struct HomeController: Controller {
    let views: Views
    let board: TaskBoard
    /// The logged-out page is the same for everyone: rendered once.
    private let loggedOut: Response
    /// A logged-in page depends only on these; the same ones come back on
    /// every visit of a session (until the copy or its age in words changes).
    private struct Inputs: Hashable, Sendable {
        let user: User
        let csrf: String
        let board: Board
    }
    private let pages = BoundedCache<Inputs, String>(capacity: 1024)

    init(views: Views, board: TaskBoard) {
        self.views = views
        self.board = board
        self.loggedOut = .html(views.home(user: nil, csrf: nil))
    }

    func show(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return loggedOut }
        let query = try TaskQuery(request.query)
        let inputs = Inputs(
            user: user, csrf: session.csrfToken,
            board: try board.board(for: user, connection: context.attio, copy: context.taskCopy, query: query))
        return .html(pages.value(for: inputs) { views.home(user: $0.user, csrf: $0.csrf, board: $0.board) })
    }
}

extension HomeController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/", show)
    }
}
