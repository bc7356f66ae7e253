import HTTP

/// Turns a ``Response`` into the CGI response bytes (RFC 3875 §6) that go
/// to the web server on FastCGI stdout.
enum ResponseEncoder {
    /// The header block: `Status`, the response's fields and `Content-Length`.
    ///
    /// - Returns: nil when a header name or value contains CR, LF or NUL,
    ///   which would let a value inject headers; the caller answers 500.
    static func head(of response: Response) -> [UInt8]? {
        var text = "Status: \(response.status.code) \(response.status.reasonPhrase)\r\n"
        for (name, value) in response.headers where name.lowercased() != "content-length" {
            guard isSafe(name), isSafe(value) else { return nil }
            text += "\(name): \(value)\r\n"
        }
        text += "Content-Length: \(response.body.count)\r\n\r\n"
        return Array(text.utf8)
    }

    private static func isSafe(_ field: String) -> Bool {
        !field.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }
}
