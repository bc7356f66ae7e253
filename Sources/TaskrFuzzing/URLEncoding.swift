@testable import HTTP
@testable import TaskrCore

/// The inverse of the form decoder, to check decoding by a round trip.
enum URLEncoding {
    /// `name=value&…`, each side encoded the way Taskr encodes the forms it
    /// sends to Attio (everything but unreserved characters percent-encoded).
    static func encode(_ parameters: Parameters) -> [UInt8] {
        let pairs = parameters.pairs.map { "\(AttioClient.formEncode($0.name))=\(AttioClient.formEncode($0.value))" }
        return Array(pairs.joined(separator: "&").utf8)
    }
}
