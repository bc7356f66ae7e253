import Foundation

extension AttioConnection {
    /// The `attio_connections` columns ``init(row:at:)`` reads, in order, of
    /// the table under `alias` (unqualified without one).
    static func columns(_ alias: String? = nil) -> String {
        columnList(
            [
                "user_id", "key_id", "sealed_token", "workspace_id", "workspace_name", "connected_at", "paused_until", "webhook_id",
                "webhook_key_id", "sealed_webhook_secret", "webhook_status",
            ], alias)
    }

    /// How many columns ``columns(_:)`` names.
    static let columnCount = 11

    /// The connection whose ``columns(_:)`` start at column `first` of
    /// `row`: the one place a connection is built from a row.
    init(row: some DatabaseRow, at first: Int = 0) throws {
        self.init(
            userID: try row.int64(first),
            sealedToken: TokenSealer.Sealed(keyID: try row.text(first + 1), bytes: try row.blob(first + 2)),
            workspaceID: try row.optionalText(first + 3), workspaceName: try row.optionalText(first + 4),
            connectedAt: Date(unixTime: try row.int64(first + 5)),
            pausedUntil: try row.optionalInt64(first + 6).map(Date.init(unixTime:)),
            webhook: try Self.webhook(row, at: first + 7),
            webhookStatus: try row.optionalText(first + 10).flatMap(WebhookStatus.init(rawValue:)))
    }

    /// The values of the webhook's columns (id, key id, sealed secret, status), in order.
    var webhookValues: [DatabaseValue] {
        [
            webhook.map { .text($0.id) } ?? .null, webhook.map { .text($0.sealedSecret.keyID) } ?? .null,
            webhook.map { .blob($0.sealedSecret.bytes) } ?? .null, webhookStatus.map { .text($0.rawValue) } ?? .null,
        ]
    }

    private static func webhook(_ row: some DatabaseRow, at first: Int) throws -> Webhook? {
        guard let id = try row.optionalText(first), let keyID = try row.optionalText(first + 1), let bytes = try row.optionalBlob(first + 2)
        else { return nil }
        return Webhook(id: id, sealedSecret: TokenSealer.Sealed(keyID: keyID, bytes: bytes))
    }

    /// The connection of a `LEFT JOIN`: nil when the row has none (its
    /// primary key is NULL).
    static func joined(row: some DatabaseRow, at first: Int) throws -> AttioConnection? {
        try row.optionalInt64(first) == nil ? nil : AttioConnection(row: row, at: first)
    }
}
