public import Foundation

/// Where Taskr's Attio integration talks to, and as whom: the `ATTIO_*`
/// variables. Its description leaves the client secret out.
public struct AttioSettings: Sendable, Equatable, CustomStringConvertible {
    /// `ATTIO_CLIENT_ID`.
    public var clientID: String?
    /// `ATTIO_CLIENT_SECRET`: never logged or shown.
    public var clientSecret: String?
    /// `ATTIO_REDIRECT_URI`: must be registered with the Attio app.
    public var redirectURI = URL(string: "http://localhost:3050/integrations/attio/callback")!
    /// `ATTIO_AUTHORIZE_URL`.
    public var authorizeURL = URL(string: "https://app.attio.com/authorize")!
    /// `ATTIO_TOKEN_URL`.
    public var tokenURL = URL(string: "https://app.attio.com/oauth/token")!
    /// `ATTIO_REVOKE_URL`.
    public var revokeURL = URL(string: "https://app.attio.com/oauth/revoke")!
    /// `ATTIO_API_URL`: the REST API base.
    public var apiURL = URL(string: "https://api.attio.com")!
    /// `TASKR_PUBLIC_URL`: the site's origin as Attio reaches it; when set,
    /// connecting registers a webhook there.
    public var publicURL: URL?

    public init() {}

    /// Whether both client credentials are set; without them the connect
    /// page explains what to set.
    public var isConfigured: Bool { clientID != nil && clientSecret != nil }

    /// The variables still to set, for the "not configured" page.
    var missingVariables: [String] {
        (clientID == nil ? ["ATTIO_CLIENT_ID"] : []) + (clientSecret == nil ? ["ATTIO_CLIENT_SECRET"] : [])
    }

    public var description: String {
        "AttioSettings(clientID: \(clientID ?? "nil"), clientSecret: \(clientSecret == nil ? "nil" : "<redacted>"), "
            + "redirectURI: \(redirectURI), authorizeURL: \(authorizeURL), tokenURL: \(tokenURL), "
            + "revokeURL: \(revokeURL), apiURL: \(apiURL), publicURL: \(publicURL?.absoluteString ?? "nil"))"
    }
}
