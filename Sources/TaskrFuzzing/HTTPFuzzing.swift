@testable import HTTP

/// Form bodies, request targets and cookies: the `HTTP` target's parsers.
enum HTTPFuzzing {
    /// The first line is the `Content-Type`, the rest the body. Decoding
    /// either fails with 400/415 or gives pairs that survive a round trip.
    static func form(_ input: [UInt8]) {
        let newline = input.firstIndex(of: UInt8(ascii: "\n"))
        var headers = Headers()
        if let newline {
            headers["Content-Type"] = String(decoding: input[..<newline], as: UTF8.self)
        }
        let body = Array(newline.map { input[($0 + 1)...] } ?? input[...])
        let request = try! Request(method: .post, target: "/login", headers: headers, body: body)
        do {
            let form = try request.form()
            checkRoundTrip(form)
            _ = (form["username"], form["password"], form["_csrf"])
        } catch {
            precondition(
                error.status == .badRequest || error.status == .unsupportedMediaType,
                "form decoding failed with \(error.status)")
        }
    }

    /// A target that is UTF-8 (as every FastCGI param reaching the decoder
    /// is) either fails with 400 or gives a path and query without NUL.
    static func query(_ input: [UInt8]) {
        guard let target = String(validating: input, as: UTF8.self) else { return }
        do {
            let request = try Request(method: .get, target: target)
            precondition(!request.path.utf8.contains(0), "NUL in a decoded path")
            // Bytes, not Characters: "/" and a combining mark are one Character.
            precondition(target.utf8.first == UInt8(ascii: "/"), "a target not starting with / was accepted")
            checkRoundTrip(request.query)
        } catch {
            precondition(error.status == .badRequest, "target decoding failed with \(error.status)")
        }
    }

    /// Every `name=value` piece the header holds is found under its trimmed
    /// name, and no value runs across a `;`.
    static func cookies(_ input: [UInt8]) {
        let header = String(decoding: input, as: UTF8.self)
        let cookies = Cookies(header: header)
        for piece in header.split(separator: ";") {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingOptionalWhitespace()
            guard !name.isEmpty else { continue }
            guard let value = cookies[name] else { preconditionFailure("cookie \(name.debugDescription) not found") }
            precondition(!value.contains(";"), "a cookie value runs across ';'")
        }
        _ = cookies["taskr_session"]
    }

    private static func checkRoundTrip(_ parameters: Parameters) {
        let again = try? Parameters(urlEncoded: URLEncoding.encode(parameters))
        precondition(again == parameters, "decoded pairs do not survive encoding and decoding again")
    }
}
