internal import CSodium

/// Initialises libsodium once, before any other call of this module.
///
/// `sodium_init` is thread-safe and idempotent; a failure (no entropy
/// source) leaves nothing safe to do, so it traps.
enum Library {
    static let initialized: Void = {
        precondition(sodium_init() >= 0, "libsodium could not be initialised")
    }()

    /// Call at the top of every public entry point.
    @inline(__always) static func ensureInitialized() { _ = initialized }
}

/// Every libsodium status code goes through here: 0 is success.
func check(_ operation: @autoclosure () -> String, _ status: Int32) throws(SodiumError) {
    guard status == 0 else { throw .failed(operation()) }
}
