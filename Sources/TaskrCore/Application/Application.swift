public import HTTP
public import Logging

/// Taskr as a pure function from a ``Request`` to a ``Response``: the one
/// composition root, built from its dependencies and knowing nothing of
/// sockets or FastCGI.
///
/// Errors never escape: an ``HTTPError`` renders its own page with its
/// status; anything else is logged and answered with a generic 500 page.
public struct Application: Sendable {
    typealias Handler = @Sendable (Request) throws -> Response

    private let router: Router<Handler>
    private let views: Views
    private let logger: Logger

    public init(database: AppDatabase, views: Views, logger: Logger) {
        self.views = views
        self.logger = logger
        var router = Router<Handler>()
        let home = HomeController(views: views)
        router.add(.get, "/", home.show)
        let health = HealthController(database: database)
        router.add(.get, "/healthz", health.check)
        self.router = router
    }

    /// Answers a decoded request, or renders the page for the client error
    /// that decoding it produced.
    public func respond(to request: Result<Request, HTTPError>) -> Response {
        switch request {
        case let .success(request): respond(to: request)
        case let .failure(error): page(for: error)
        }
    }

    /// Routes and answers one request.
    public func respond(to request: Request) -> Response {
        let handler: Handler
        do {
            handler = try router.handler(for: request.method, path: request.path)
        } catch {
            return page(for: error)
        }
        return respond(to: request, with: handler)
    }

    /// Runs `handler`, turning whatever it throws into a page.
    func respond(to request: Request, with handler: Handler) -> Response {
        do {
            return try handler(request)
        } catch let error as HTTPError {
            return page(for: error)
        } catch {
            // Details go to the log only: they may name tables, paths or values.
            logger.error("unhandled error in \(request.method) \(request.path): \(String(reflecting: error))")
            return page(for: HTTPError(.internalServerError, "Something went wrong on our side. Please try again."))
        }
    }

    private func page(for error: HTTPError) -> Response {
        var response = Response.html(views.error(error), status: error.status)
        for (name, value) in error.headers { response.headers.add(name, value) }
        return response
    }
}
