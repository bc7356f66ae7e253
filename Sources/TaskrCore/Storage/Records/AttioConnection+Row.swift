import Foundation

extension AttioConnection {
    /// The `attio_connections` columns ``init(row:at:)`` reads, in order, of
    /// the table under `alias` (unqualified without one).
    static func columns(_ alias: String? = nil) -> String {
        columnList(["user_id", "key_id", "sealed_token", "workspace_id", "workspace_name", "connected_at", "paused_until"], alias)
    }

    /// How many columns ``columns(_:)`` names.
    static let columnCount = 7

    /// The connection whose ``columns(_:)`` start at column `first` of
    /// `row`: the one place a connection is built from a row.
    init(row: some DatabaseRow, at first: Int = 0) throws {
        self.init(
            userID: try row.int64(first),
            sealedToken: TokenSealer.Sealed(keyID: try row.text(first + 1), bytes: try row.blob(first + 2)),
            workspaceID: try row.optionalText(first + 3), workspaceName: try row.optionalText(first + 4),
            connectedAt: Date(unixTime: try row.int64(first + 5)),
            pausedUntil: try row.optionalInt64(first + 6).map(Date.init(unixTime:)))
    }

    /// The connection of a `LEFT JOIN`: nil when the row has none (its
    /// primary key is NULL).
    static func joined(row: some DatabaseRow, at first: Int) throws -> AttioConnection? {
        try row.optionalInt64(first) == nil ? nil : AttioConnection(row: row, at: first)
    }
}
