import Foundation

/// Why a call to Attio gave no usable answer, in the categories the pages
/// treat differently.
enum AttioFailure: Error, Sendable, Equatable {
    /// 401: the token was revoked or expired; Attio issues no refresh
    /// tokens, so the user must connect again.
    case unauthorized
    /// 429: Attio asks us to wait until this time.
    case rateLimited(until: Date)
    /// No usable answer: 5xx, another status, timeout, refused connection,
    /// malformed JSON. `reason` is for the log; it never holds a token.
    case unavailable(reason: String)
}
