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
}
