/// The cookies a request carried in its `Cookie` header (RFC 6265 §5.4).
///
/// Values are taken as they are, without decoding: Taskr's own cookies hold
/// URL-safe characters only. When a name repeats, the first one wins, which
/// is the most specific path in browsers' ordering.
public struct Cookies: Sendable, Equatable {
    /// In the header's order, the first of each name only. A list, not a
    /// dictionary: a request carries a handful of cookies, and hashing their
    /// names cost more than comparing them.
    private var pairs: [(name: String, value: String)] = []

    public init() {}

    /// Parses a `Cookie` header; pairs without `=` or with an empty name are skipped.
    ///
    /// On bytes, as browsers write the header: a `;` or a space fused into
    /// one Swift `Character` with a combining mark after it still splits
    /// and trims.
    public init(header: String?) {
        guard var header else { return }
        // On the contiguous UTF-8 bytes: String.UTF8View's own iteration
        // cost about 50 instructions a byte here (callgrind).
        header.withUTF8 { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
                add(bytes[start..<end])
                start = end + 1
            }
        }
    }

    /// One `name=value` piece of the header (an empty one has no `=`).
    private mutating func add(_ piece: Slice<UnsafeBufferPointer<UInt8>>) {
        guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else { return }
        let name = Self.trimmed(piece[..<equals])
        var value = Self.trimmed(piece[(equals + 1)...])
        if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
            value = value.dropFirst().dropLast()
        }
        let key = String(decoding: name, as: UTF8.self)
        if !name.isEmpty, self[key] == nil {
            pairs.append((key, String(decoding: value, as: UTF8.self)))
        }
    }

    /// Without leading and trailing spaces and tabs (bytes).
    private static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return bytes[bytes.endIndex...] }
        let last = bytes.lastIndex(where: { !isSpace($0) })!
        return bytes[first...last]
    }

    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// How many distinct names the header held.
    public var count: Int { pairs.count }

    public static func == (lhs: Cookies, rhs: Cookies) -> Bool {
        Dictionary(uniqueKeysWithValues: lhs.pairs.map { ($0.name, $0.value) })
            == Dictionary(uniqueKeysWithValues: rhs.pairs.map { ($0.name, $0.value) })
    }
}
