import HTTP

/// `GET /`: the home page.
struct HomeController: Sendable {
    let views: Views

    func show(_ request: Request) -> Response {
        .html(views.home())
    }
}
