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
    /// The parameters ``decode`` reads, besides every `HTTP_*` one.
    static let readParameters = [
        "REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "CONTENT_LENGTH", "CONTENT_TYPE", "REMOTE_ADDR", "HTTPS",
        "SCRIPT_NAME", "PATH_INFO", "TASKR_METRICS",
    ]

    /// Copies the borrowed `envp` strings (`NAME=VALUE`, NULL-terminated,
    /// as libfcgi hands them over) that ``decode`` reads into Swift values
    /// at once; the others (`SERVER_SOFTWARE`, `DOCUMENT_ROOT` …) are
    /// skipped unread. A read value that is not UTF-8 is left out and its
    /// name returned, so ``decode`` can answer 400; an entry without `=` is
    /// skipped.
    static func params(
        environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> (values: FastCGIParams, invalid: String?) {
        var params = FastCGIParams()
        var invalid: String?
        guard var entry = environment else { return (params, nil) }
        while let pointer = entry.pointee {
            defer { entry += 1 }
            let bytes = UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[..<equals])
            guard isRead(nameBytes) else { continue }
            let name = String(decoding: nameBytes, as: UTF8.self)
            // The value is the C string after "=": validated in one pass, as
            // a contiguous buffer (the generic validation of a slice cost
            // more than the rest of decoding).
            if let value = String(validatingCString: pointer + equals + 1) {
                params[name] = value
            } else {
                invalid = name
            }
        }
        return (params, invalid)
    }

    private static let readParameterBytes = readParameters.map { Array($0.utf8) }
    private static let headerPrefix = Array("HTTP_".utf8)

    /// Whether ``decode`` reads the parameter `name`: compared as bytes
    /// (memcmp), before any String is made of it.
    private static func isRead(_ name: UnsafeRawBufferPointer) -> Bool {
        guard let start = name.baseAddress else { return false }
        if name.count >= headerPrefix.count, memcmp(start, headerPrefix, headerPrefix.count) == 0 { return true }
        return readParameterBytes.contains { $0.count == name.count && memcmp(start, $0, $0.count) == 0 }
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
        params: FastCGIParams,
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
            var request = try Request(
                method: Method(rawValue: params["REQUEST_METHOD"] ?? "GET"),
                target: target,
                headers: headers,
                body: body,
                remoteAddress: params["REMOTE_ADDR"],
                isSecure: params["HTTPS"]?.lowercased() == "on"
            )
            // Only nginx sets it (a client's header arrives as HTTP_*): its internal server for scrapers.
            request.mayReadMetrics = params["TASKR_METRICS"] == "1"
            return request
        }
    }

    /// `USER_AGENT` → `User-Agent`: the conventional spelling of a CGI
    /// header parameter, for headers and messages. One pass over the bytes:
    /// it runs for every header of every request.
    static func displayName(ofParameter name: some StringProtocol) -> String {
        // Written straight into the String's storage (no array between):
        // only ASCII letters and `_` change, so the bytes stay valid UTF-8.
        String(unsafeUninitializedCapacity: name.utf8.count) { buffer in
            var startOfWord = true
            var count = 0
            for byte in name.utf8 {
                if byte == UInt8(ascii: "_") {
                    buffer[count] = UInt8(ascii: "-")
                    startOfWord = true
                } else {
                    let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                    let isLower = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
                    buffer[count] = startOfWord ? (isLower ? byte - 32 : byte) : (isUpper ? byte + 32 : byte)
                    startOfWord = false
                }
                count += 1
            }
            return count
        }
    }
}

/// The FastCGI params ``RequestDecoder`` reads, in the order the web server
/// sent them; a name sent again replaces the earlier value.
///
/// A short list rather than a dictionary: a request carries about a dozen,
/// and hashing every name cost more than comparing them.
struct FastCGIParams: Sequence, ExpressibleByDictionaryLiteral {
    private var entries: [(name: String, value: String)] = []

    init() {
        entries.reserveCapacity(16)
    }

    init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (name, value) in elements { self[name] = value }
    }

    subscript(name: String) -> String? {
        get { entries.first { $0.name == name }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.name == name }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((name, newValue))
            }
        }
    }

    func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { entries.makeIterator() }
}
