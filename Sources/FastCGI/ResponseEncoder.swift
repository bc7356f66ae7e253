import HTTP

/// Turns a ``Response`` into the CGI response bytes (RFC 3875 §6) that go
/// to the web server on FastCGI stdout.
enum ResponseEncoder {
    /// The header block: `Status`, the response's fields and `Content-Length`.
    ///
    /// - Returns: nil when a header name or value contains CR, LF or NUL,
    ///   which would let a value inject headers; the caller answers 500.
    static func head(of response: Response) -> [UInt8]? {
        // Appended as bytes into one buffer: every response makes a head,
        // and String concatenation cost more than the rest of encoding.
        var head: [UInt8] = []
        head.reserveCapacity(1024)
        head.append(contentsOf: "Status: ".utf8)
        head.append(contentsOf: String(response.status.code).utf8)
        head.append(UInt8(ascii: " "))
        head.append(contentsOf: response.status.reasonPhrase.utf8)
        head.append(contentsOf: "\r\n".utf8)
        for (name, value) in response.headers where !isContentLength(name) {
            guard isSafe(name), isSafe(value) else { return nil }
            head.append(contentsOf: name.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "Content-Length: ".utf8)
        head.append(contentsOf: String(response.body.count).utf8)
        head.append(contentsOf: "\r\n\r\n".utf8)
        return head
    }

    private static func isSafe(_ field: String) -> Bool {
        !field.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }

    /// Whether `name` is `Content-Length` in any ASCII case (the encoder
    /// writes its own).
    private static func isContentLength(_ name: String) -> Bool {
        name.utf8.count == 14 && name.utf8.elementsEqual("content-length".utf8) { $0 | 0x20 == $1 }
    }
}
