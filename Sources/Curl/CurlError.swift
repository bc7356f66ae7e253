/// A transfer that produced no usable answer. Names the failure only: never
/// the URL, a header or a body, which may carry tokens.
public struct CurlError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case timedOut
        case responseTooLarge(limit: Int)
        case invalidRequest(String)
        case transfer(code: UInt32, message: String)
    }

    private let code: Code

    /// The whole exchange, or connecting, took longer than allowed.
    public static let timedOut = CurlError(code: .timedOut)

    /// The answer's body was longer than ``CurlClient/Options/maxResponseBytes``.
    public static func responseTooLarge(limit: Int) -> CurlError { CurlError(code: .responseTooLarge(limit: limit)) }

    /// The request cannot be sent as given (a method or header that would
    /// break the request line, say); nothing was sent.
    public static func invalidRequest(_ what: String) -> CurlError { CurlError(code: .invalidRequest(what)) }

    /// libcurl's own result code and its fixed message
    /// (`curl_easy_strerror`), e.g. 7 "Couldn't connect to server".
    static func transfer(code: UInt32, message: String) -> CurlError {
        CurlError(code: .transfer(code: code, message: message))
    }

    public var isTimeout: Bool { code == .timedOut }

    public var description: String {
        switch code {
        case .timedOut: "timed out"
        case let .responseTooLarge(limit): "response larger than \(limit) bytes"
        case let .invalidRequest(what): "invalid request: \(what)"
        case let .transfer(code, message): "\(message) (curl \(code))"
        }
    }
}
