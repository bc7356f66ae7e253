/// Percent-decoding (RFC 3986 §2.1) that refuses what it cannot decode
/// faithfully, instead of guessing.
///
/// Every failure is an ``HTTPError`` with status 400, so a caller can let it
/// propagate to the visitor as a clear page.
enum PercentDecoding {
    /// Decodes `%XX` escapes, and `+` as a space when `plusIsSpace` (forms and
    /// query strings, per the WHATWG `application/x-www-form-urlencoded` rules).
    ///
    /// - Throws: ``HTTPError`` 400 on a truncated or non-hex escape, on bytes
    ///   that are not UTF-8, and on NUL, which no field of ours may contain.
    static func decode<S: Collection>(_ encoded: S, plusIsSpace: Bool) throws(HTTPError) -> String
    where S.Element == UInt8 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index != encoded.endIndex {
            let byte = encoded[index]
            switch byte {
            case UInt8(ascii: "%"):
                let high = encoded.index(after: index)
                guard high != encoded.endIndex else { throw malformed }
                let low = encoded.index(after: high)
                guard low != encoded.endIndex,
                    let h = hexValue(encoded[high]), let l = hexValue(encoded[low])
                else { throw malformed }
                bytes.append(h << 4 | l)
                index = encoded.index(after: low)
                continue
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
            index = encoded.index(after: index)
        }
        guard !bytes.contains(0) else {
            throw HTTPError.badRequest("The request contains a NUL character, which is not allowed.")
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw HTTPError.badRequest("The request is not valid UTF-8.")
        }
        return string
    }

    /// Parses `name=value&name=value` pairs, in order. Empty pairs (`a=1&&b=2`)
    /// are skipped; a pair without `=` has an empty value.
    static func decodePairs(_ encoded: some Collection<UInt8>) throws(HTTPError) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        for piece in encoded.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let name: String
            let value: String
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                name = try decode(piece[piece.startIndex..<equals], plusIsSpace: true)
                value = try decode(piece[piece.index(after: equals)...], plusIsSpace: true)
            } else {
                name = try decode(piece, plusIsSpace: true)
                value = ""
            }
            pairs.append((name, value))
        }
        return pairs
    }

    private static let malformed = HTTPError.badRequest("The request contains malformed percent-encoding.")

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
