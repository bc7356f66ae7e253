import Foundation
import Sodium

extension SecretKey {
    /// Reads a key written as 64 hex digits or as base64 (standard or
    /// URL-safe, padded or not); nil unless it is exactly 32 bytes.
    static func parsing(_ text: String) -> SecretKey? {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes: [UInt8]?
        // ASCII hex only: Character.isHexDigit also accepts full-width digits.
        if text.utf8.count == 64, text.allSatisfy({ $0.isASCII && $0.isHexDigit }) {
            bytes = stride(from: 0, to: 64, by: 2).map { offset in
                let start = text.index(text.startIndex, offsetBy: offset)
                return UInt8(text[start...text.index(after: start)], radix: 16)!
            }
        } else {
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            bytes = Data(base64Encoded: base64).map(Array.init)
        }
        return bytes.flatMap { try? SecretKey(bytes: $0) }
    }
}
