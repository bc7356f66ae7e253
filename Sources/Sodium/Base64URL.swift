internal import CSodium

/// URL-safe base64 without padding (RFC 4648 §5), for tokens in cookies,
/// forms and URLs.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Library.ensureInitialized()
        let variant = Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)
        let length = sodium_base64_encoded_len(bytes.count, variant)
        var output = [CChar](repeating: 0, count: length)
        bytes.withUnsafeBufferPointer { input in
            _ = sodium_bin2base64(&output, length, input.baseAddress, input.count, variant)
        }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes of `text`, or nil unless it is URL-safe base64 without padding.
    public static func decode(_ text: String) -> [UInt8]? {
        Library.ensureInitialized()
        let input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 3 / 4 + 1)
        var length = 0
        let status = input.withUnsafeBufferPointer { input in
            input.withMemoryRebound(to: CChar.self) { chars in
                sodium_base642bin(
                    &output, output.count, chars.baseAddress, chars.count, nil, &length, nil,
                    Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING))
            }
        }
        return status == 0 ? Array(output.prefix(length)) : nil
    }

    /// Whether `text` has the shape of a 256-bit token: 43 URL-safe base64
    /// characters. Anything else is not worth a lookup.
    public static func isToken(_ text: String) -> Bool {
        guard text.utf8.count == 43 else { return false }
        // On the contiguous bytes: a third of the instructions of String.UTF8View's iteration.
        var text = text
        return text.withUTF8 { bytes in
            bytes.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }
    }
}
