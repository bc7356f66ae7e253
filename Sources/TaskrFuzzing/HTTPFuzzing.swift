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

    /// The parser agrees with an independent reading of RFC 6265 §5.4 done
    /// on the header's bytes with a state machine (not the parser's split
    /// and trim): every name it finds has the first value the header gives
    /// it, and it finds no name the header does not hold.
    static func cookies(_ input: [UInt8]) {
        let header = String(decoding: input, as: UTF8.self)
        let cookies = Cookies(header: header)
        var expected: [String: String] = [:]
        var name: [UInt8] = []
        var value: [UInt8] = []
        var sawEquals = false
        func finish() {
            let trim = { (bytes: [UInt8]) -> [UInt8] in
                var bytes = bytes
                while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
                while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
                return bytes
            }
            var v = trim(value)
            if v.count >= 2, v.first == 0x22, v.last == 0x22 { v = Array(v.dropFirst().dropLast()) }
            let n = trim(name)
            if sawEquals, !n.isEmpty {
                let key = String(decoding: n, as: UTF8.self)
                if expected[key] == nil { expected[key] = String(decoding: v, as: UTF8.self) }
            }
            name = []
            value = []
            sawEquals = false
        }
        for byte in Array(header.utf8) {
            switch byte {
            case 0x3B: finish()
            case 0x3D where !sawEquals: sawEquals = true
            default: if sawEquals { value.append(byte) } else { name.append(byte) }
            }
        }
        finish()
        for (name, value) in expected {
            precondition(cookies[name].map { Array($0.utf8) } == Array(value.utf8), "cookie \(name.debugDescription) read differently")
        }
        precondition(cookies.count == expected.count, "the parser found a cookie the header does not hold")
    }

    private static func checkRoundTrip(_ parameters: Parameters) {
        let again = try? Parameters(urlEncoded: URLEncoding.encode(parameters))
        precondition(again == parameters, "decoded pairs do not survive encoding and decoding again")
    }
}
