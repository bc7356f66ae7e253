internal import CSodium

/// Lower-case hex (`sodium_bin2hex`), for short non-secret names of digests:
/// key ids, log digests, address keys.
public enum Hex {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Library.ensureInitialized()
        let input = Array(bytes)
        var output = [CChar](repeating: 0, count: input.count * 2 + 1)
        input.withUnsafeBufferPointer { bytes in
            _ = sodium_bin2hex(&output, output.count, bytes.baseAddress, bytes.count)
        }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
