extension User {
    /// The `users` columns ``init(row:at:)`` reads, in order, of the table
    /// under `alias` (unqualified without one).
    static func columns(_ alias: String? = nil) -> String {
        columnList(["id", "username", "password_hash"], alias)
    }

    /// How many columns ``columns(_:)`` names.
    static let columnCount = 3

    /// The user whose ``columns(_:)`` start at column `first` of `row`: the
    /// one place a user is built from a row.
    init(row: some DatabaseRow, at first: Int = 0) throws {
        self.init(id: try row.int64(first), username: try row.text(first + 1), passwordHash: try row.text(first + 2))
    }
}
