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
    static func loggablePath(_ target: String?) -> String {
        guard let target else { return "-" }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return path.count > 200 ? path.prefix(200) + "…" : String(path)
    }
}
