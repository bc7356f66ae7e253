/// Why an ``HTTPClient`` got no answer. Names the failure only, never the
/// request, so it is safe to log.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case timedOut
        case failed(String)
    }

    private let code: Code

    /// No whole answer within the request's timeout.
    public static let timedOut = HTTPClientError(code: .timedOut)

    /// Anything else: refused, reset, TLS, an answer too large.
    public static func failed(_ reason: String) -> HTTPClientError { HTTPClientError(code: .failed(reason)) }

    public var description: String {
        switch code {
        case .timedOut: "timed out"
        case let .failed(reason): reason
        }
    }
}
