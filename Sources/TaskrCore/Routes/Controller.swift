import HTTP

/// A group of routes and the dependencies they share: it registers its own
/// routes, so the composition root only lists controllers.
protocol Controller: Sendable {
    func addRoutes(to router: inout Router<Application.Handler>)
}
