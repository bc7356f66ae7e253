/// The cookies a request carried in its `Cookie` header (RFC 6265 §5.4).
///
/// Values are taken as they are, without decoding: Taskr's own cookies hold
/// URL-safe characters only. When a name repeats, the first one wins, which
/// is the most specific path in browsers' ordering.
public struct Cookies: Sendable, Equatable {
    private var values: [String: String] = [:]

    public init() {}

    /// Parses a `Cookie` header; pairs without `=` or with an empty name are skipped.
    public init(header: String?) {
        guard let header else { return }
        for piece in header.split(separator: ";") {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingOptionalWhitespace()
            var value = piece[piece.index(after: equals)...].trimmingOptionalWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            if !name.isEmpty, values[name] == nil {
                values[name] = value
            }
        }
    }

    public subscript(name: String) -> String? { values[name] }
}
