public import Foundation
import Glibc
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 for the outbound client's tests: real
/// sockets, keep-alive, one thread per connection (never Swift concurrency,
/// so a hanging answer cannot starve the test runner). Records every request.
public final class LoopbackHTTPServer: Sendable {
    public struct Received: Sendable {
        public var connection: Int
        public var method: String
        public var target: String
        /// Lower-cased names.
        public var headers: [String: String]
        public var body: Data
    }

    public enum Reply: Sendable {
        /// `head` is raw header lines ("Name: value"), sent as given.
        case answer(status: Int, head: [String] = [], body: Data = Data(), contentLength: Bool = true)
        /// Says nothing until the server stops.
        case hang
    }

    public let port: UInt16
    private let listener: Int32
    private let reply: @Sendable (Received) -> Reply
    private let state = Mutex<(received: [Received], connections: [Int32], stopped: Bool, listening: Bool)>(([], [], false, true))

    /// - Parameter reply: how to answer each request; called on the connection's thread.
    public init(reply: @escaping @Sendable (Received) -> Reply) throws {
        self.reply = reply
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 64) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    public var url: String { "http://127.0.0.1:\(port)" }
    public var received: [Received] { state.withLock { $0.received } }

    /// Closes the listener and every connection; hanging answers end.
    /// Descriptors are shut down and closed under the lock: once closed, a
    /// number may be reused by another test's socket at once.
    public func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            if state.listening { shutdown(listener, Int32(SHUT_RDWR)) }
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        var number = 0
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { break }
            number += 1
            let id = number
            let accepted = state.withLock { state in
                if !state.stopped { state.connections.append(connection) }
                return !state.stopped
            }
            guard accepted else {
                close(connection)
                break
            }
            Thread.detachNewThread { [self] in serve(connection, id: id) }
        }
        state.withLock { state in
            state.listening = false
            close(listener)
        }
    }

    private func serve(_ connection: Int32, id: Int) {
        defer {
            state.withLock { state in
                state.connections.removeAll { $0 == connection }
                close(connection)
            }
        }
        var buffer = Data()
        while let request = readRequest(connection, id: id, buffer: &buffer) {
            state.withLock { $0.received.append(request) }
            switch reply(request) {
            case .hang:
                // Blocks until the peer closes or stop() shuts the socket down.
                var byte: UInt8 = 0
                while recv(connection, &byte, 1, 0) > 0 {}
                return
            case let .answer(status, head, body, contentLength):
                var lines = ["HTTP/1.1 \(status) Test"] + head
                if contentLength { lines.append("Content-Length: \(body.count)") } else { lines.append("Connection: close") }
                var bytes = Data((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
                bytes.append(body)
                guard sendAll(connection, bytes), contentLength else { return }
            }
        }
    }

    private func readRequest(_ connection: Int32, id: Int, buffer: inout Data) -> Received? {
        let separator = Data("\r\n\r\n".utf8)
        while buffer.range(of: separator) == nil {
            guard receive(connection, into: &buffer) else { return nil }
        }
        let headEnd = buffer.range(of: separator)!
        let lines = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count - headEnd.upperBound < length {
            guard receive(connection, into: &buffer) else { return nil }
        }
        let body = Data(buffer[headEnd.upperBound..<(headEnd.upperBound + length)])
        buffer = Data(buffer[(headEnd.upperBound + length)...])
        return Received(
            connection: id, method: String(requestLine.first ?? ""), target: requestLine.count > 1 ? String(requestLine[1]) : "",
            headers: headers, body: body)
    }

    private func receive(_ connection: Int32, into buffer: inout Data) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(connection, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private func sendAll(_ connection: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = Glibc.send(connection, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { return false }
                sent += count
            }
            return true
        }
    }
}
