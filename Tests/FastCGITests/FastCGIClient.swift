import Foundation

/// A minimal FastCGI client (the web server's side of the protocol), so tests
/// speak real FastCGI records to a real socket, step by step: a request can
/// be left half-sent to stand for a slow upload.
final class FastCGIClient {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32

    /// Connects to a unix socket; reads give up after `timeout` seconds.
    init(unixPath: String, timeout: Int = 20) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let result = withUnixAddress(unixPath) { connect(fd, $0, $1) }
        try configure(connected: result, timeout: timeout)
    }

    /// Connects to 127.0.0.1:`port`.
    convenience init(port: UInt16, timeout: Int = 20) throws {
        try self.init(host: "127.0.0.1", port: port, timeout: timeout)
    }

    /// Connects to `host` (an IPv4 or IPv6 address, e.g. `::1`) on `port`.
    init(host: String, port: UInt16, timeout: Int = 20) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let address = found else {
            throw ProtocolError(description: "not an address: \(host)")
        }
        defer { freeaddrinfo(found) }
        fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, 0)
        try configure(connected: connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen), timeout: timeout)
    }

    private func configure(connected result: Int32, timeout: Int) throws {
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ProtocolError(description: "connect: \(message)")
        }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends BEGIN_REQUEST (responder role) and the parameters.
    /// - Parameter keepConnection: sets `FCGI_KEEP_CONN`, as nginx does with
    ///   `fastcgi_keep_conn on`: the connection stays open for the next request.
    func begin(params: [(String, [UInt8])], keepConnection: Bool = false) throws {
        try send(type: 1, content: [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0])
        var encoded: [UInt8] = []
        for (name, value) in params {
            encoded += Self.length(name.utf8.count) + Self.length(value.count) + Array(name.utf8) + value
        }
        for chunk in encoded.chunks(of: 65_535) { try send(type: 4, content: Array(chunk)) }
        try send(type: 4, content: [])
    }

    func begin(params: [String: String], keepConnection: Bool = false) throws {
        try begin(params: params.map { ($0.key, Array($0.value.utf8)) }, keepConnection: keepConnection)
    }

    /// Whether the server has closed the connection (a read finds its end
    /// within the client's timeout).
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    /// Whether the connection is open right now, with nothing to read:
    /// the server has neither answered nor closed it.
    var isOpenAndQuiet: Bool {
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&ready, 1, 0) == 0
    }

    /// Sends raw bytes: part of a record, to stand for a peer that stops mid-request.
    func sendRaw(_ bytes: [UInt8]) throws {
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw ProtocolError(description: "send: \(String(cString: strerror(errno)))")
        }
    }

    /// Sends part of the request body.
    func sendStdin(_ bytes: [UInt8]) throws {
        for chunk in bytes.chunks(of: 65_535) { try send(type: 5, content: Array(chunk)) }
    }

    /// Ends the request body.
    func endStdin() throws { try send(type: 5, content: []) }

    /// Reads STDOUT records until END_REQUEST and parses the CGI response.
    func readResponse() throws -> Response {
        var output: [UInt8] = []
        while true {
            let header = try read(8)
            let type = header[1]
            let length = Int(header[4]) << 8 | Int(header[5])
            let content = try read(length)
            _ = try read(Int(header[6]))
            if type == 6 { output += content }
            if type == 3 { break }
        }
        guard let end = output.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw ProtocolError(description: "no header block in \(String(decoding: output, as: UTF8.self))")
        }
        var headers: [String: String] = [:]
        for line in String(decoding: output[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0)\n\(value)" } ?? value
        }
        let status = Int(headers["status"]?.prefix(3) ?? "") ?? 200
        return Response(status: status, headers: headers, body: Array(output[end.upperBound...]))
    }

    /// One whole request: parameters, body, response.
    static func request(
        unixPath: String,
        method: String = "GET",
        uri: String,
        params extra: [String: String] = [:],
        body: [UInt8] = []
    ) throws -> Response {
        let client = try FastCGIClient(unixPath: unixPath)
        var params = ["REQUEST_METHOD": method, "REQUEST_URI": uri, "SCRIPT_NAME": "", "REMOTE_ADDR": "127.0.0.1"]
        if !body.isEmpty { params["CONTENT_LENGTH"] = String(body.count) }
        params.merge(extra) { $1 }
        try client.begin(params: params)
        try client.sendStdin(body)
        try client.endStdin()
        return try client.readResponse()
    }

    /// A GET to 127.0.0.1:`port`.
    static func request(port: UInt16, uri: String) throws -> Response {
        let client = try FastCGIClient(port: port, timeout: 5)
        try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": uri, "SCRIPT_NAME": "", "REMOTE_ADDR": "127.0.0.1"])
        try client.endStdin()
        return try client.readResponse()
    }

    private static func length(_ count: Int) -> [UInt8] {
        count < 128
            ? [UInt8(count)]
            : [UInt8(count >> 24 | 0x80), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
    }

    private func send(type: UInt8, content: [UInt8]) throws {
        let padding = (8 - content.count % 8) % 8
        let record =
            [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xFF), UInt8(padding), 0]
            + content + [UInt8](repeating: 0, count: padding)
        var sent = 0
        while sent < record.count {
            let n = record[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ProtocolError(description: "send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer[filled...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else {
                throw ProtocolError(description: n == 0 ? "connection closed by the server" : "recv: \(String(cString: strerror(errno)))")
            }
            filled += n
        }
        return buffer
    }
}

extension Array {
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// Calls `body` with a `sockaddr_un` for `path` and its length.
func withUnixAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}

/// A unix socket bound at `path`, not yet listening.
func boundUnixSocket(at path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard withUnixAddress(path, { bind(fd, $0, $1) }) == 0 else {
        close(fd)
        throw FastCGIClient.ProtocolError(description: "bind \(path): \(String(cString: strerror(errno)))")
    }
    return fd
}
