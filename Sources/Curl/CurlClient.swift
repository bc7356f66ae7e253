public import Foundation
public import HTTP
import Synchronization

/// Blocking HTTP(S) over libcurl, for threads that may wait (the FastCGI
/// workers): Taskr's ``HTTPClient``. Keeps a few easy handles, each with its
/// open connections, so back-to-back requests to one host reuse a
/// connection.
///
/// Not URLSession: on Linux it leaks about 170 bytes per request
/// (swift-corelibs-foundation frees a parsed URL with `curl_free` instead of
/// `curl_url_cleanup`); see the README, "Outbound HTTP".
public final class CurlClient: HTTPClient {
    /// What every transfer of this client obeys, beside each request's own timeout.
    public struct Options: Sendable {
        /// The most connecting (TCP and TLS) may take, within the request's timeout.
        public var connectTimeout: TimeInterval
        /// Longer answers fail instead of filling memory. Attio's answers to
        /// Taskr's requests are a few kilobytes.
        public var maxResponseBytes: Int
        /// A PEM file of the certificates to trust for `https` instead of the
        /// system's (`ca-certificates`); for tests and private CAs.
        public var trustedCertificates: String?

        public init(connectTimeout: TimeInterval = 5, maxResponseBytes: Int = 1 << 20, trustedCertificates: String? = nil) {
            self.connectTimeout = connectTimeout
            self.maxResponseBytes = maxResponseBytes
            self.trustedCertificates = trustedCertificates
        }
    }

    /// Idle handles. A handle is either here or held by exactly one caller of
    /// ``perform(_:)``, so no two threads ever use one at once.
    private let idle = Mutex<[UnsafeSendable<EasyHandle>]>([])
    private let maxIdleHandles: Int
    private let options: Options

    /// - Parameter maxIdleHandles: handles (and their connections) kept
    ///   between requests; more may exist while that many requests run.
    public init(maxIdleHandles: Int = 8, options: Options = Options()) {
        self.maxIdleHandles = maxIdleHandles
        self.options = options
    }

    /// Sends `request` and waits for the answer.
    /// - Throws: ``HTTPClientError`` (timed out, or what else failed).
    public func send(_ request: OutboundRequest) throws -> OutboundResponse {
        do {
            return try perform(request)
        } catch {
            throw error.isTimeout ? HTTPClientError.timedOut : HTTPClientError.failed(error.description)
        }
    }

    /// Sends `request` and waits, on the calling thread, for the whole
    /// answer or the request's timeout. Header names come back lower-cased;
    /// a repeated header is joined with ", " (RFC 9110 §5.3).
    public func perform(_ request: OutboundRequest) throws(CurlError) -> OutboundResponse {
        let handle: EasyHandle
        if let reused = idle.withLock({ $0.popLast() }) {
            handle = reused.value
        } else {
            handle = try EasyHandle()
        }
        defer {
            let returned = UnsafeSendable(handle)
            idle.withLock { handles in
                if handles.count < maxIdleHandles { handles.append(returned) }
            }
        }
        let (status, received, body) = try handle.perform(request, options: options)
        var headers: [String: String] = [:]
        for (name, value) in received {
            let name = name.lowercased()
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return OutboundResponse(status: status, headers: headers, body: body)
    }
}

/// Moves an ``EasyHandle`` in and out of the idle list.
///
/// `@unchecked`: the handle is used by one thread at a time, the one that took
/// it from the list; libcurl allows that thread to differ between transfers.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
