import Foundation

/// Why a call to Attio gave no usable answer, in the categories the pages
/// treat differently.
enum AttioFailure: Error, Sendable, Equatable {
    /// 401: the token was revoked or expired; Attio issues no refresh
    /// tokens, so the user must connect again.
    case unauthorized
    /// 429: Attio asks us to wait until this time.
    case rateLimited(until: Date)
    /// 403: the workspace did not grant the scope the call needs
    /// (`task:read-write`, `webhook:read-write`).
    case forbidden
    /// 404: what the call names is gone (a task deleted meanwhile).
    case notFound
    /// An answer Taskr cannot use: 5xx, another status, malformed JSON.
    /// `reason` is for the log; it never holds a token.
    case unavailable(reason: String)
    /// No answer at all: a timeout or a refused connection. Each one held
    /// a worker for the whole timeout.
    case noAnswer(reason: String)
    /// Not called at all: the gate is full (as many calls under way as
    /// workers may spend on Attio), or Attio is in its quiet period after a
    /// call that got no answer.
    case busy
}

extension AttioFailure {
    /// For the log: what went wrong, never a token.
    var summary: String {
        switch self {
        case .unauthorized: "401"
        case .forbidden: "403 (a scope not granted)"
        case .notFound: "404"
        case .rateLimited: "429"
        case .busy: "not called: too many calls under way, or Attio is in its quiet period"
        case let .unavailable(reason), let .noAnswer(reason): reason
        }
    }
}
