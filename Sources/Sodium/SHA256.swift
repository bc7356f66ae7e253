internal import CSodium

/// SHA-256 (`crypto_hash_sha256`): for looking up high-entropy tokens by a
/// hash that is useless to whoever reads the database.
public enum SHA256 {
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        Library.ensureInitialized()
        let input = Array(bytes)
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_bytes()))
        digest.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { bytes in
                if let base = bytes.baseAddress {
                    _ = crypto_hash_sha256(out.baseAddress!, base, UInt64(bytes.count))
                } else {
                    // An empty array has no storage; hash zero bytes from any valid address.
                    var none: UInt8 = 0
                    _ = crypto_hash_sha256(out.baseAddress!, &none, 0)
                }
            }
        }
        return digest
    }
}
