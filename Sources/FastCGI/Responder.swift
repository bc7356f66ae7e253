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
}
