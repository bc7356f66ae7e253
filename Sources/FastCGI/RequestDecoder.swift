import HTTP

/// Turns the CGI parameters a web server sends over FastCGI (RFC 3875 §4.1)
/// and the request body into a ``Request``.
///
/// Pure: the body is read through a closure, so the mapping is tested
/// without a socket and the size check happens before a byte is read.
enum RequestDecoder {
    /// Decodes one request.
    ///
    /// - Parameters:
    ///   - params: the FastCGI parameters; nil values were not valid UTF-8.
    ///   - readBody: reads exactly the given number of bytes of stdin, or
    ///     fewer if the stream ended early.
    /// - Returns: the request, or the 400/413 error to answer with.
    static func decode(
        params: [String: String?],
        readBody: (Int) -> [UInt8]
    ) -> Result<Request, HTTPError> {
        if let invalid = params.first(where: { $0.value == nil }) {
            return .failure(.badRequest("The request is not valid UTF-8 (\(displayName(ofParameter: invalid.key)))."))
        }
        let params = params.compactMapValues { $0 }

        var headers = Headers()
        for (name, value) in params {
            if name.hasPrefix("HTTP_") {
                headers.add(displayName(ofParameter: String(name.dropFirst(5))), value)
            }
        }
        if let contentType = params["CONTENT_TYPE"], !contentType.isEmpty {
            headers["Content-Type"] = contentType
        }

        var length = 0
        if let declared = params["CONTENT_LENGTH"], !declared.isEmpty {
            guard let value = Int(declared), value >= 0 else {
                return .failure(.badRequest("The request has an invalid Content-Length."))
            }
            length = value
        }
        guard length <= Request.maximumBodySize else { return .failure(.contentTooLarge) }
        let body = length > 0 ? readBody(length) : []
        guard body.count == length else {
            return .failure(.badRequest("The request body ended before its declared length."))
        }

        let target = params["REQUEST_URI"] ?? {
            let path = (params["SCRIPT_NAME"] ?? "") + (params["PATH_INFO"] ?? "")
            let query = params["QUERY_STRING"].flatMap { $0.isEmpty ? nil : "?\($0)" } ?? ""
            return (path.isEmpty ? "/" : path) + query
        }()

        return Result { () throws(HTTPError) in
            try Request(
                method: Method(rawValue: params["REQUEST_METHOD"] ?? "GET"),
                target: target,
                headers: headers,
                body: body,
                remoteAddress: params["REMOTE_ADDR"],
                isSecure: params["HTTPS"]?.lowercased() == "on"
            )
        }
    }

    /// `USER_AGENT` → `User-Agent`: the conventional spelling of a CGI
    /// header parameter, for headers and messages.
    static func displayName(ofParameter name: String) -> String {
        name.split(separator: "_", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
            .joined(separator: "-")
    }
}
