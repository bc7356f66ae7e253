import HTTP

/// `GET /`: the home page, logged out or logged in (with the user's Attio
/// tasks, from Taskr's copy: never a call to Attio).
struct HomeController: Controller {
    let views: Views
    let board: TaskBoard
    /// The logged-out page is the same for everyone: rendered once.
    private let loggedOut: Response
    /// A logged-in page depends only on these; the same ones come back on
    /// every visit of a session (until the copy changes). The copy's age in
    /// words is not among them: it changes every second, and every worker
    /// re-rendering 50 tasks once a second was a tenth of the connected
    /// page's time (perf). The page is kept split where the age goes.
    private struct Inputs: Hashable, Sendable {
        let user: User
        let csrf: String
        let board: Board
    }
    private struct Page: Sendable {
        let head: [UInt8]
        /// After the age; nil when the page shows none.
        let tail: [UInt8]?
    }
    private let pages = BoundedCache<Inputs, Page>(capacity: 1024)
    /// Stands in for the age while a page is rendered: random per process,
    /// so nothing a workspace holds can be taken for it.
    private static let ageMark = "age-\(UInt64.random(in: .min ... .max))-\(UInt64.random(in: .min ... .max))"

    init(views: Views, board: TaskBoard) {
        self.views = views
        self.board = board
        self.loggedOut = .html(views.home(user: nil, csrf: nil))
    }

    func show(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return loggedOut }
        let query = try TaskQuery(request.query)
        var board = try board.board(for: user, connection: context.attio, copy: context.taskCopy, query: query)
        let age = board.updated
        if age != nil { board.updated = Self.ageMark }
        let page = pages.value(for: Inputs(user: user, csrf: session.csrfToken, board: board)) { inputs in
            let html = views.home(user: inputs.user, csrf: inputs.csrf, board: inputs.board)
            guard inputs.board.updated != nil, let mark = html.range(of: Self.ageMark) else { return Page(head: Array(html.utf8), tail: nil) }
            return Page(head: Array(html[..<mark.lowerBound].utf8), tail: Array(html[mark.upperBound...].utf8))
        }
        guard let tail = page.tail, let age else { return .html(utf8: page.head) }
        // The age goes in unescaped: it is Taskr's own words (`TaskBoard.age`),
        // digits, letters and spaces, never text from a workspace.
        // One allocation and one copy of the page's bytes.
        var body = [UInt8]()
        body.reserveCapacity(page.head.count + age.utf8.count + tail.count)
        body += page.head
        body += age.utf8
        body += tail
        return .html(utf8: body)
    }
}

extension HomeController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/", show)
    }
}
