internal import CSodium

/// HMAC-SHA-256 (`crypto_auth_hmacsha256_*`) with a key of any length:
/// what Attio signs its webhook deliveries with, under each webhook's secret.
public enum HMACSHA256 {
    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        Library.ensureInitialized()
        let message = Array(message)
        let key = Array(key)
        // An empty array has no storage: one byte stands in for zero bytes.
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        var state = crypto_auth_hmacsha256_state()
        var mac = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_bytes()))
        keyBytes.withUnsafeBufferPointer { bytes in _ = crypto_auth_hmacsha256_init(&state, bytes.baseAddress!, key.count) }
        messageBytes.withUnsafeBufferPointer { bytes in
            _ = crypto_auth_hmacsha256_update(&state, bytes.baseAddress!, UInt64(message.count))
        }
        mac.withUnsafeMutableBufferPointer { out in _ = crypto_auth_hmacsha256_final(&state, out.baseAddress!) }
        return mac
    }
}
