public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// ``HTTPClient`` on one shared `URLSession` (libcurl underneath on Linux),
/// which keeps connections to Attio open between requests.
///
/// Called from FastCGI worker threads, never from Swift concurrency: it
/// blocks the calling thread until the answer or the request's timeout.
public final class URLSessionHTTPClient: HTTPClient {
    private let session: URLSession

    private let connectTimeout: TimeInterval

    /// - Parameter connectTimeout: the most to wait for a connection, or for
    ///   the next bytes of an answer; each request's own timeout caps the
    ///   whole exchange.
    public init(connectTimeout: TimeInterval = 5) {
        self.connectTimeout = connectTimeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = connectTimeout
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 8
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    public func send(_ request: OutboundRequest) throws -> OutboundResponse {
        // URLRequest's timeout is an idle timeout (connecting included); the
        // wait below is the total one.
        var urlRequest = URLRequest(url: request.url, timeoutInterval: min(connectTimeout, request.timeout))
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }

        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let task = session.dataTask(with: urlRequest) { data, response, error in
            outcome.set(data: data, response: response as? HTTPURLResponse, error: error)
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + request.timeout) == .success else {
            task.cancel()
            throw URLError(.timedOut)
        }
        return try outcome.result()
    }

    /// What the completion handler delivered, handed from the session's queue
    /// to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        // @unchecked: written once by the completion handler before the
        // semaphore is signalled, read only after the wait returns.
        private var data: Data?
        private var response: HTTPURLResponse?
        private var error: (any Error)?

        func set(data: Data?, response: HTTPURLResponse?, error: (any Error)?) {
            self.data = data
            self.response = response
            self.error = error
        }

        func result() throws -> OutboundResponse {
            if let error { throw error }
            guard let response else { throw URLError(.badServerResponse) }
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            return OutboundResponse(status: response.statusCode, headers: headers, body: data ?? Data())
        }
    }
}
