public import Foundation

/// An outbound HTTP request (to Attio).
public struct OutboundRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    /// The most the whole exchange may take, connecting included.
    public var timeout: TimeInterval

    public init(method: String = "GET", url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// The answer to an ``OutboundRequest``.
public struct OutboundResponse: Sendable, Equatable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How the application reaches other servers: one blocking call, so tests
/// pass a fake and production passes ``CurlHTTPClient``.
public protocol HTTPClient: Sendable {
    /// Sends `request` and waits for the answer.
    /// - Throws: ``HTTPClientError`` when no answer came: connection refused,
    ///   timeout, TLS failure.
    func send(_ request: OutboundRequest) throws -> OutboundResponse
}
