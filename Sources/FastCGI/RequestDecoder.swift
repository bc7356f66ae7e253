import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// Turns the CGI parameters a web server sends over FastCGI (RFC 3875 §4.1)
/// and the request body into a ``Request``.
///
/// Pure: the body is read through a closure, so the mapping is tested
/// without a socket and the size check happens before a byte is read.
enum RequestDecoder {
    /// Copies the borrowed `envp` strings (`NAME=VALUE`, NULL-terminated,
    /// as libfcgi hands them over) into Swift values at once. A value that is
    /// not UTF-8 is left out and its name returned, so ``decode`` can answer
    /// 400; an entry without `=` is skipped.
    static func params(
        environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> (values: [String: String], invalid: String?) {
        var params: [String: String] = [:]
        params.reserveCapacity(32)
        var invalid: String?
        guard var entry = environment else { return (params, nil) }
        while let pointer = entry.pointee {
            let bytes = UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                if let value = String(validating: bytes[(equals + 1)...], as: UTF8.self) {
                    params[name] = value
                } else {
                    invalid = name
                }
            }
            entry += 1
        }
        return (params, invalid)
    }

    /// Decodes one request.
    ///
    /// - Parameters:
    ///   - params: the FastCGI parameters that are valid UTF-8.
    ///   - invalidParameter: the name of a parameter that was not, if any.
    ///   - readBody: reads exactly the given number of bytes of stdin, or
    ///     fewer if the stream ended early.
    /// - Returns: the request, or the 400/413 error to answer with.
    static func decode(
        params: [String: String],
        invalidParameter: String? = nil,
        readBody: (Int) -> [UInt8]
    ) -> Result<Request, HTTPError> {
        if let invalidParameter {
            return .failure(.badRequest("The request is not valid UTF-8 (\(displayName(ofParameter: invalidParameter)))."))
        }

        var headers = Headers()
        for (name, value) in params {
            if name.hasPrefix("HTTP_") {
                headers.add(displayName(ofParameter: name.dropFirst(5)), value)
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

        let target =
            params["REQUEST_URI"]
            ?? {
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
    /// header parameter, for headers and messages. One pass over the bytes:
    /// it runs for every header of every request.
    static func displayName(ofParameter name: some StringProtocol) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(name.utf8.count)
        var startOfWord = true
        for byte in name.utf8 {
            if byte == UInt8(ascii: "_") {
                bytes.append(UInt8(ascii: "-"))
                startOfWord = true
            } else {
                let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                let isLower = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
                bytes.append(startOfWord ? (isLower ? byte - 32 : byte) : (isUpper ? byte + 32 : byte))
                startOfWord = false
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
