import Foundation

extension Session {
    /// The `sessions` columns ``init(row:at:)`` reads, in order, of the
    /// table under `alias`.
    static func columns(_ alias: String? = nil) -> String {
        columnList(["id_hash", "user_id", "csrf_token", "created_at", "last_seen_at", "client_label"], alias)
    }

    /// The values ``columns(_:)`` names, in order, for an `INSERT`.
    var values: [DatabaseValue] {
        [.blob(idHash), .integer(userID), .text(csrfToken), .integer(createdAt.unixTime), .integer(lastSeenAt.unixTime), .text(clientLabel)]
    }

    /// The session whose ``columns(_:)`` start at column `first` of `row`:
    /// the one place a session is built from a row.
    init(row: some DatabaseRow, at first: Int = 0) throws {
        self.init(
            idHash: try row.blob(first), userID: try row.int64(first + 1), csrfToken: try row.text(first + 2),
            createdAt: Date(unixTime: try row.int64(first + 3)), lastSeenAt: Date(unixTime: try row.int64(first + 4)),
            clientLabel: try row.text(first + 5))
    }

    /// How many columns ``columns(_:)`` names.
    static let columnCount = 6
}
