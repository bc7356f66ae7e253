@testable import FastCGI
@testable import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The FastCGI params → ``Request`` mapping, from the C strings libfcgi
/// hands over.
enum FastCGIFuzzing {
    /// Entries are split at NUL (C strings cannot hold one); an empty entry
    /// ends the params and everything after it is stdin.
    static func params(_ input: [UInt8]) {
        let (entries, body) = split(input)

        // A NULL-terminated `char **`, as `FCGX_Request.envp` is.
        var environment: [UnsafeMutablePointer<CChar>?] = entries.map { entry in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: entry.count + 1)
            entry.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { _ = UnsafeMutableBufferPointer(start: copy, count: entry.count).initialize(from: $0) }
            }
            copy[entry.count] = 0
            return copy
        }
        environment.append(nil)
        defer { for pointer in environment { pointer?.deallocate() } }

        let (params, invalid) = environment.withUnsafeMutableBufferPointer {
            RequestDecoder.params(environment: $0.baseAddress)
        }
        var reads = 0
        let decoded = RequestDecoder.decode(params: params, invalidParameter: invalid) { length in
            reads += 1
            precondition(length > 0 && length <= Request.maximumBodySize, "asked to read \(length) body bytes")
            return Array(body.prefix(length))
        }
        precondition(reads <= 1, "the body was read twice")

        switch decoded {
        case .success(let request):
            precondition(invalid == nil, "a request with a non-UTF-8 param was decoded")
            precondition(request.method.rawValue == (params["REQUEST_METHOD"] ?? "GET"), "the method changed")
            // Bytes, not Characters: "/" followed by a combining mark is one Character.
            precondition(request.path.utf8.first == UInt8(ascii: "/"), "a path not starting with /")
            let declared = Int(params["CONTENT_LENGTH"] ?? "") ?? 0
            precondition(request.body.count == declared, "body of \(request.body.count) bytes, declared \(declared)")
        case .failure(let error):
            precondition(
                error.status == .badRequest || error.status == .contentTooLarge,
                "decoding failed with \(error.status)")
        }

        checkOutput(params)
    }

    /// The params' entries, split at NUL, and the stdin after the empty one.
    private static func split(_ input: [UInt8]) -> (entries: [ArraySlice<UInt8>], body: ArraySlice<UInt8>) {
        var entries: [ArraySlice<UInt8>] = []
        var rest = input[...]
        while !rest.isEmpty {
            let end = rest.firstIndex(of: 0) ?? rest.endIndex
            let entry = rest[..<end]
            rest = end == rest.endIndex ? [] : rest[(end + 1)...]
            if entry.isEmpty { return (entries, rest) }
            entries.append(entry)
        }
        return (entries, [])
    }

    /// What a request's params may never do to the log line or the response head.
    private static func checkOutput(_ params: FastCGIParams) {
        // What reaches the access log never carries the query (OAuth codes).
        let logged = Server.loggablePath(params["REQUEST_URI"])
        // Bytes, not Characters: "?" + U+0301 is one Character that is not "?".
        precondition(!logged.utf8.contains(UInt8(ascii: "?")), "the logged path carries a query")

        // A header value from the request can never split the response head.
        if let value = params["HTTP_X_ECHO"] {
            var response = Response.text("echo")
            response.headers["X-Echo"] = value
            let head = ResponseEncoder.head(of: response)
            precondition((head == nil) == value.utf8.contains { $0 == 10 || $0 == 13 || $0 == 0 }, "unsafe header handling")
        }
    }
}
