import Foundation
import HTTP

extension Server {
    /// Reads one accepted request, asks the responder and writes the answer.
    func answer(_ request: FastCGIRequest) {
        let started = ContinuousClock.now
        let (params, invalidParameter) = request.params()
        let method = params["REQUEST_METHOD"] ?? "GET"
        let path = Self.loggablePath(params["REQUEST_URI"])
        logger.debug("\(method) \(path) started")
        let decoded = RequestDecoder.decode(params: params, invalidParameter: invalidParameter) { request.readBody(length: $0) }
        var response = responder.respond(to: decoded)
        var head = ResponseEncoder.head(of: response)
        if head == nil {
            logger.error("response header contains a line break; answering 500 instead")
            response = Response.text("Internal Server Error", status: .internalServerError)
            head = ResponseEncoder.head(of: response)
        }
        var written = request.write(head!)
        if written, method != "HEAD" {
            written = request.write(response.body)
        }
        let elapsed = ContinuousClock.now - started
        // Tenths of a millisecond, in integers: String(format:) costs more than the request.
        let tenths = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        logger.info("\(method) \(path) \(response.status.code) \(tenths / 10).\(tenths % 10)ms\(written ? "" : " (client gone)")")
    }

    /// The path of the request target without its query (which may carry
    /// OAuth codes) and cut to a sane length, for the access log.
    ///
    /// Cut by bytes, never Characters: a `?` followed by a combining mark is
    /// one Character that is not `"?"`, and would keep the query in the log.
    static func loggablePath(_ target: String?) -> String {
        guard let target else { return "-" }
        let bytes = target.utf8
        let path = bytes.prefix { $0 != UInt8(ascii: "?") }
        guard path.count > 200 else { return String(decoding: path, as: UTF8.self) }
        // At most 200 bytes, not cutting a scalar in two.
        var end = path.index(path.startIndex, offsetBy: 200)
        while end > path.startIndex, UTF8.isContinuation(path[end]) { end = path.index(before: end) }
        return String(decoding: path[..<end], as: UTF8.self) + "…"
    }
}
