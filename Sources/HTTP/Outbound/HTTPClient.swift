/// How the application reaches other servers: one blocking call, so tests
/// pass a fake and production passes libcurl's (`Curl.CurlClient`).
public protocol HTTPClient: Sendable {
    /// Sends `request` and waits for the answer.
    /// - Throws: ``HTTPClientError`` when no answer came: connection refused,
    ///   timeout, TLS failure.
    func send(_ request: OutboundRequest) throws -> OutboundResponse
}
