internal import CSodium

/// Bytes from the operating system's CSPRNG, through libsodium.
public enum SecureRandom {
    /// `count` unpredictable bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        Library.ensureInitialized()
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return bytes
    }
}
