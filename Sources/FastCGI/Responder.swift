public import HTTP

/// The application, as the FastCGI layer sees it: one function from a request
/// to a response.
///
/// It must not throw and must be safe to call from every worker at once.
public protocol Responder: Sendable {
    /// Answers one request.
    ///
    /// - Parameter request: the decoded request, or the client error (400,
    ///   413) that decoding the web server's parameters produced, so that the
    ///   application renders that page in its own style.
    func respond(to request: Result<Request, HTTPError>) -> Response

    /// Whether `request` waits on a small shared pool (a password hash) and
    /// is answered on the server's slow lane rather than by a worker.
    func takesSlowLane(_ request: Request) -> Bool

    /// The answer, at once, to a slow request when the lane is full: 503
    /// with `Retry-After`.
    func slowLaneFull(_ request: Request) -> Response
}

extension Responder {
    public func takesSlowLane(_ request: Request) -> Bool { false }

    public func slowLaneFull(_ request: Request) -> Response {
        var response = Response.text("Busy, please try again in a moment.\n", status: .serviceUnavailable)
        response.headers["Retry-After"] = "5"
        return response
    }
}
