import Foundation

/// A user's link to their Attio workspace: the sealed access token and what
/// does not change while it lives (the workspace).
struct AttioConnection: Sendable, Equatable {
    let userID: Int64
    var sealedToken: TokenSealer.Sealed
    let workspaceID: String?
    let workspaceName: String?
    let connectedAt: Date
    /// Attio asked (429, `Retry-After`) that this token's calls wait until
    /// then: kept with the connection, so every host holds back.
    var pausedUntil: Date? = nil
    /// The webhook Attio calls for this connection's task changes, if one
    /// was registered (`TASKR_PUBLIC_URL`).
    var webhook: Webhook? = nil
    /// Whether a webhook is live, and why not; nil when none was asked for.
    var webhookStatus: WebhookStatus? = nil

    /// A registered webhook: its id at Attio and its signing secret, sealed.
    struct Webhook: Sendable, Equatable {
        let id: String
        let sealedSecret: TokenSealer.Sealed
    }

    enum WebhookStatus: String, Sendable, Equatable {
        case live
        /// The workspace did not grant `webhook:read-write`: copies refresh by age.
        case noScope = "no_scope"
        /// Attio did not register it (no answer, an error): copies refresh by age.
        case failed
    }

    /// Whether changes in Attio reach Taskr by webhook (so copies may age longer).
    var hasLiveWebhook: Bool { webhook != nil && webhookStatus == .live }
}
