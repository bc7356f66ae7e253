import Sodium

/// Unpredictable bytes, as a dependency of the composition root.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
}

extension RandomSource {
    /// A fresh 256-bit token, URL-safe base64 (43 characters): session ids,
    /// CSRF tokens, OAuth states.
    func token() -> String {
        Base64URL.encode(bytes(32))
    }
}

/// The operating system's CSPRNG, through libsodium.
public struct SystemRandom: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] { SecureRandom.bytes(count) }
}
