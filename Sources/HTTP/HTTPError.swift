/// An error that knows the HTTP status it should produce and a message that is
/// safe to show the visitor.
///
/// Throw it from anywhere in request handling; the application renders it as
/// a page with that status. The message must never carry secrets: it is shown
/// verbatim (HTML-escaped) and logged.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Status
    public let message: String
    /// Extra response headers, such as `Allow` on a 405.
    public let headers: Headers

    public init(_ status: Status, _ message: String, headers: Headers = Headers()) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status): \(message)" }

    public static func badRequest(_ message: String) -> HTTPError {
        HTTPError(.badRequest, message)
    }

    public static let notFound = HTTPError(.notFound, "There is no page at this address.")

    public static func methodNotAllowed(allowed: [Method]) -> HTTPError {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return HTTPError(
            .methodNotAllowed,
            "This page does not accept that request method. Allowed: \(allow).",
            headers: ["Allow": allow]
        )
    }

    public static let contentTooLarge = HTTPError(
        .contentTooLarge,
        "The request body is larger than \(Request.maximumBodySize / 1024) KiB."
    )

    public static func unsupportedMediaType(expected: String) -> HTTPError {
        HTTPError(.unsupportedMediaType, "This form must be sent as \(expected).")
    }
}
