internal import CSodium

/// A 256-bit key for ``SecretKey/seal(_:associatedData:)``: XChaCha20-Poly1305
/// (IETF), an AEAD cipher with random 192-bit nonces, so one key can seal any
/// number of messages.
///
/// Its description never shows the key, only ``id``.
public struct SecretKey: Sendable, Equatable, CustomStringConvertible {
    public static let byteCount = 32

    private let bytes: [UInt8]

    /// A short, stable, non-secret name for this key (the first 8 bytes of
    /// SHA-256 of "taskr key id" and the key, in hex), stored beside what it
    /// sealed so the right key can be picked after a rotation.
    public let id: String

    /// - Throws: ``SodiumError`` unless `bytes` is exactly 32 bytes.
    public init(bytes: [UInt8]) throws(SodiumError) {
        guard bytes.count == Self.byteCount else { throw .invalidInput("a secret key must be 32 bytes") }
        self.bytes = bytes
        self.id = Hex.encode(SHA256.hash(Array("taskr key id".utf8) + bytes).prefix(8))
    }

    /// A new random key.
    public static func generate() -> SecretKey {
        try! SecretKey(bytes: SecureRandom.bytes(byteCount))
    }

    /// The key as URL-safe base64, for a key file. Handle with care.
    public var base64URL: String {
        Base64URL.encode(bytes)
    }

    public var description: String { "SecretKey(id: \(id))" }

    /// A key of its own for one `purpose`, derived from this one, so a
    /// code or ciphertext made for one use is useless for another.
    public func derived(_ purpose: String) -> SecretKey {
        try! SecretKey(bytes: authenticationCode(Array("taskr derived key\u{0}\(purpose)".utf8)))
    }

    /// A 32-byte authentication code of `message` under this key
    /// (HMAC-SHA-512-256, `crypto_auth`): signed tokens, keyed digests.
    /// Give every use its own prefix in `message`, so codes of one kind
    /// never pass for another.
    public func authenticationCode(_ message: [UInt8]) -> [UInt8] {
        Library.ensureInitialized()
        var code = [UInt8](repeating: 0, count: Int(crypto_auth_bytes()))
        let status = crypto_auth(&code, message.nonEmpty, UInt64(message.count), bytes)
        precondition(status == 0, "crypto_auth cannot fail")
        return code
    }

    /// Whether `code` is ``authenticationCode(_:)`` of `message`, compared in constant time.
    public func isAuthentic(_ code: [UInt8], for message: [UInt8]) -> Bool {
        Library.ensureInitialized()
        guard code.count == Int(crypto_auth_bytes()) else { return false }
        return crypto_auth_verify(code, message.nonEmpty, UInt64(message.count), bytes) == 0
    }

    /// Encrypts and authenticates `plaintext`, binding `associatedData` (not
    /// encrypted, but it must be the same to open).
    /// - Returns: nonce ‖ ciphertext ‖ tag.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) -> [UInt8] {
        Library.ensureInitialized()
        let nonceCount = Int(crypto_aead_xchacha20poly1305_ietf_npubbytes())
        let tagCount = Int(crypto_aead_xchacha20poly1305_ietf_abytes())
        let nonce = SecureRandom.bytes(nonceCount)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagCount)
        var length: UInt64 = 0
        let status = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext, &length, plaintext.nonEmpty, UInt64(plaintext.count),
            associatedData.nonEmpty, UInt64(associatedData.count), nil, nonce, bytes)
        precondition(status == 0, "XChaCha20-Poly1305 encryption cannot fail with valid sizes")
        return nonce + ciphertext.prefix(Int(length))
    }

    /// Decrypts what ``seal(_:associatedData:)`` returned.
    /// - Throws: ``SodiumError`` when it was not sealed by this key with this
    ///   associated data, or was altered.
    public func open(_ sealed: [UInt8], associatedData: [UInt8]) throws(SodiumError) -> [UInt8] {
        Library.ensureInitialized()
        let nonceCount = Int(crypto_aead_xchacha20poly1305_ietf_npubbytes())
        let tagCount = Int(crypto_aead_xchacha20poly1305_ietf_abytes())
        guard sealed.count >= nonceCount + tagCount else { throw .invalidInput("sealed data too short") }
        let nonce = Array(sealed.prefix(nonceCount))
        let ciphertext = Array(sealed.dropFirst(nonceCount))
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - tagCount + 1)
        var length: UInt64 = 0
        let status = crypto_aead_xchacha20poly1305_ietf_decrypt(
            &plaintext, &length, nil, ciphertext, UInt64(ciphertext.count),
            associatedData.nonEmpty, UInt64(associatedData.count), nonce, bytes)
        try check("crypto_aead_xchacha20poly1305_ietf_decrypt", status)
        return Array(plaintext.prefix(Int(length)))
    }
}

extension Array where Element == UInt8 {
    /// A buffer C may read from even when empty (libsodium ignores the
    /// pointer for zero lengths, but the Swift import wants one).
    fileprivate var nonEmpty: [UInt8] { isEmpty ? [0] : self }
}
