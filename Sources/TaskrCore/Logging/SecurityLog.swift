import HTTP
public import Logging
import Sodium

/// Security events in the log, each one line starting `security:`: failed
/// and refused log-ins, CSRF and Origin refusals. A failed log-in names the
/// user id when the account exists, else a keyed digest of the typed name
/// (people type passwords into that field: the name itself is never
/// logged), and the client address.
struct SecurityLog: Sendable {
    let logger: Logger
    /// Keys the digests, so a log reader cannot test guesses against them.
    let digestKey: SecretKey

    func failedLogin(usernameKey: String, userID: Int64?, request: Request, reason: String) {
        logger.notice("security: failed log-in for \(who(usernameKey, userID)) from \(address(request)): \(reason)")
    }

    func lockedLogin(usernameKey: String, request: Request, seconds: Int, byAddress: Bool) {
        let what = byAddress ? "the address" : "this name from the address"
        logger.notice("security: log-in refused for \(who(usernameKey, nil)) from \(address(request)): \(what) is locked for \(seconds) s")
    }

    /// A log-in answered 503 for capacity: not a failure, but a flood shows.
    func busyLogin(usernameKey: String, request: Request, reason: String) {
        logger.notice("security: log-in refused for capacity for \(who(usernameKey, nil)) from \(address(request)): \(reason)")
    }

    /// A sign-up, log-in or password step answered 503 before it was read
    /// (the server's password lane was full): nothing was counted.
    func busyPasswordRequest(_ request: Request) {
        let what = "\(request.method) \(request.path) from \(address(request))"
        logger.notice("security: \(what) refused for capacity: the password lane is full; not counted as a failure")
    }

    func refusedPost(_ request: Request, reason: String) {
        logger.notice("security: refused \(request.method) \(request.path) from \(address(request)): \(reason)")
    }

    /// A webhook delivery refused: unknown webhook, no or a wrong signature.
    func refusedWebhook(_ request: Request) {
        logger.notice("security: refused a webhook delivery from \(address(request)): unknown webhook, or a missing or wrong signature")
    }

    private func who(_ usernameKey: String, _ userID: Int64?) -> String {
        if let userID { return "user \(userID)" }
        let digest = digestKey.authenticationCode(Array("taskr log name\u{0}\(usernameKey)".utf8))
        return "name #" + Hex.encode(digest.prefix(6))
    }

    private func address(_ request: Request) -> String {
        request.remoteAddress ?? "an unknown address"
    }
}
