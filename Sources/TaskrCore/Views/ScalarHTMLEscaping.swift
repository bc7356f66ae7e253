import Mustache

/// HTML escaping by UTF-8 byte, for every value a template interpolates.
///
/// swift-mustache 2.1.1's own HTML content type escapes per `Character`
/// (`String.htmlEscape()` looks each grapheme cluster up whole), so a `<`
/// joined to a Prepend character before it (U+0D4E, U+0600) or a `"` or `&`
/// joined to a combining mark after it (U+0301) is one `Character`, not
/// found in its table, and reaches the page raw — the class of
/// CVE-2026-27120 in Leaf. Bytes cannot join: every `<`, `>`, `&`, `"` and
/// `'` byte is escaped whatever surrounds it. ``Views`` selects this content
/// type at the top of every template it loads, so no template can forget it.
struct ScalarHTMLEscaping: MustacheContentType {
    /// The name the `CONTENT_TYPE` pragma selects it by.
    static let name = "TASKR_HTML"

    func escapeText(_ text: String) -> String {
        Self.escape(text)
    }

    static func escape(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            // Most values need nothing: hand the string back untouched.
            guard let first = bytes.firstIndex(where: needsEscape) else { return String(decoding: bytes, as: UTF8.self) }
            var escaped = [UInt8]()
            escaped.reserveCapacity(bytes.count + 16)
            escaped.append(contentsOf: bytes[..<first])
            for byte in bytes[first...] {
                switch byte {
                case UInt8(ascii: "&"): escaped.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): escaped.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): escaped.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\""): escaped.append(contentsOf: "&quot;".utf8)
                case UInt8(ascii: "'"): escaped.append(contentsOf: "&#39;".utf8)
                default: escaped.append(byte)
                }
            }
            return String(decoding: escaped, as: UTF8.self)
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}
