/// One HTTP request as the application sees it: already decoded and checked.
///
/// A value type with no tie to FastCGI, so routes are testable in-process.
/// Building one from a raw request target validates it: a request that gets
/// this far has a percent-decoded UTF-8 path and a decoded query.
public struct Request: Sendable {
    /// Largest body the application accepts (64 KiB); larger ones get 413
    /// before they are read. nginx's `client_max_body_size` matches it.
    public static let maximumBodySize = 64 * 1024

    public var method: Method
    /// The percent-decoded path of the request target, without the query.
    public var path: String
    /// The decoded query string.
    public var query: Parameters
    public var headers: Headers
    public var cookies: Cookies
    public var body: [UInt8]
    /// The peer's address as the web server saw it (`REMOTE_ADDR`).
    public var remoteAddress: String?
    /// Whether the request reached the web server over TLS (`HTTPS=on`).
    public var isSecure: Bool
    /// Whether the web server let this request read `/metrics` (the FastCGI
    /// param `TASKR_METRICS=1`, which the shipped nginx configs set only on
    /// an internal server on 127.0.0.1).
    public var mayReadMetrics = false

    /// Builds a request from the raw request target (`/path?query`).
    ///
    /// - Throws: ``HTTPError`` 400 when the target is not a path, or its path
    ///   or query has malformed percent-encoding, invalid UTF-8 or NUL.
    public init(
        method: Method,
        target: String,
        headers: Headers = Headers(),
        body: [UInt8] = [],
        remoteAddress: String? = nil,
        isSecure: Bool = false
    ) throws(HTTPError) {
        let utf8 = target.utf8
        let queryStart = utf8.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = utf8[..<(queryStart ?? utf8.endIndex)]
        guard rawPath.first == UInt8(ascii: "/") else {
            throw HTTPError.badRequest("The request target must be a path starting with “/”.")
        }
        self.method = method
        self.path = try PercentDecoding.decode(rawPath, plusIsSpace: false)
        if let queryStart {
            self.query = try Parameters(urlEncoded: utf8[utf8.index(after: queryStart)...])
        } else {
            self.query = Parameters()
        }
        self.headers = headers
        self.cookies = Cookies(header: headers["Cookie"])
        self.body = body
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
    }
}
