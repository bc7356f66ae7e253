internal import Curl
public import Foundation

/// ``HTTPClient`` on libcurl (``Curl/CurlClient``), which keeps connections to
/// Attio open between requests.
///
/// Called from FastCGI worker threads, never from Swift concurrency: it
/// blocks the calling thread until the answer or the request's timeout.
///
/// Not URLSession: on Linux it leaks about 170 bytes per request
/// (swift-corelibs-foundation frees a parsed URL with `curl_free` instead of
/// `curl_url_cleanup`); see the README, "Outbound HTTP".
public final class CurlHTTPClient: HTTPClient {
    private let client = CurlClient()
    private let connectTimeout: TimeInterval
    private let maxResponseBytes: Int

    /// - Parameters:
    ///   - connectTimeout: the most to wait for a connection (TCP and TLS);
    ///     each request's own timeout caps the whole exchange.
    ///   - maxResponseBytes: longer answers fail instead of filling memory.
    ///     Attio's answers to Taskr's requests are a few kilobytes.
    public init(connectTimeout: TimeInterval = 5, maxResponseBytes: Int = 1 << 20) {
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
    }

    public func send(_ request: OutboundRequest) throws -> OutboundResponse {
        let response: CurlResponse
        do {
            response = try client.perform(CurlRequest(
                method: request.method, url: request.url.absoluteString,
                headers: request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) },
                body: request.body, timeout: request.timeout, connectTimeout: connectTimeout,
                maxResponseBytes: maxResponseBytes))
        } catch {
            throw error.isTimeout ? HTTPClientError.timedOut : HTTPClientError.failed(error.description)
        }
        // Lower-cased names; a repeated header is joined with ", " (RFC 9110 §5.3).
        var headers: [String: String] = [:]
        for (name, value) in response.headers {
            let name = name.lowercased()
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return OutboundResponse(status: response.status, headers: headers, body: response.body)
    }
}
