internal import CSodium

/// Argon2id password hashing (`crypto_pwhash_str_alg`), producing
/// self-describing strings (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`) that
/// carry their own parameters, so old hashes keep verifying after the
/// parameters change, and ``needsRehash(_:)`` says when to upgrade one.
///
/// - Warning: each hash or verification takes `memoryLimit` bytes and tens
///   of milliseconds of CPU. Bound how many run at once.
public struct PasswordHasher: Sendable, Equatable {
    /// Argon2 passes (`t`).
    public let operationsLimit: Int
    /// Argon2 memory in bytes (`m`).
    public let memoryLimit: Int

    /// OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1 (libsodium
    /// always uses p = 1).
    public static let owasp = PasswordHasher(operationsLimit: 2, memoryLimit: 19 * 1024 * 1024)

    public init(operationsLimit: Int, memoryLimit: Int) {
        self.operationsLimit = operationsLimit
        self.memoryLimit = memoryLimit
    }

    /// A new hash of `password`, with a fresh random salt.
    public func hash(_ password: String) throws(SodiumError) -> String {
        Library.ensureInitialized()
        var output = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        // The String bridges to a NUL-terminated C string; the length passed is
        // the UTF-8 length, so the terminator is not hashed.
        let status = crypto_pwhash_str_alg(
            &output, password, UInt64(password.utf8.count),
            UInt64(operationsLimit), memoryLimit, crypto_pwhash_alg_argon2id13())
        try check("crypto_pwhash_str_alg", status)
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A fixed hash in this hasher's parameters that no password matches
    /// (its output is not one Argon2id made, so a match is a 2⁻²⁵⁶ chance).
    /// Verifying against it runs Argon2id with the same memory and passes
    /// as a real verification, so a log-in for an unknown username costs
    /// what a wrong password costs; making it costs nothing (no Argon2id
    /// run, and none of its memory, at start-up).
    public var unmatchableHash: String {
        // Salt: "taskr-dummy-salt"; output: SHA-256 of a fixed sentence. Both
        // in libsodium's unpadded Base64.
        "$argon2id$v=19$m=\(memoryLimit / 1024),t=\(operationsLimit),p=1$dGFza3ItZHVtbXktc2FsdA$/Vulafmqbqr0LeOnbkd1AEluD3tBu+8/8QGNxWmYKdA"
    }

    /// Whether `password` matches `hash`, whatever parameters `hash` was made with.
    public func verify(_ password: String, against hash: String) -> Bool {
        Library.ensureInitialized()
        guard hash.utf8.count < crypto_pwhash_strbytes() else { return false }
        return crypto_pwhash_str_verify(hash, password, UInt64(password.utf8.count)) == 0
    }

    /// Whether `hash` was made with other parameters (or another algorithm)
    /// than this hasher's, and should be replaced at the next successful login.
    public func needsRehash(_ hash: String) -> Bool {
        Library.ensureInitialized()
        guard hash.utf8.count < crypto_pwhash_strbytes() else { return true }
        return crypto_pwhash_str_needs_rehash(hash, UInt64(operationsLimit), memoryLimit) != 0
    }
}
