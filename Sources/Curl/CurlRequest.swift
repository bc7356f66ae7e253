public import Foundation

/// One HTTP exchange for ``CurlClient/perform(_:)``.
public struct CurlRequest: Sendable {
    public var method: String
    /// An `http` or `https` URL; other schemes are refused.
    public var url: String
    /// Sent in this order; names and values must not contain CR, LF or NUL.
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// The most the whole exchange may take.
    public var timeout: TimeInterval
    /// The most connecting (TCP and TLS) may take, within ``timeout``.
    public var connectTimeout: TimeInterval
    /// Longer answers fail with ``CurlError/responseTooLarge(limit:)``
    /// instead of filling memory.
    public var maxResponseBytes: Int
    /// A PEM file of the certificates to trust for `https` instead of the
    /// system's (`ca-certificates`); for tests and private CAs.
    public var trustedCertificates: String?

    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: Data? = nil,
        timeout: TimeInterval, connectTimeout: TimeInterval, maxResponseBytes: Int, trustedCertificates: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.trustedCertificates = trustedCertificates
    }
}
