import Foundation

extension TaskCopyState {
    /// The `task_copies` columns ``init(row:at:)`` reads, in order, of the
    /// table under `alias`: everything a page needs but the sealed bytes.
    static func columns(_ alias: String? = nil) -> String {
        columnList(["user_id", "version", "taken_at", "failure", "failed_at", "due_at"], alias)
    }

    /// How many columns ``columns(_:)`` names.
    static let columnCount = 6

    /// The state whose ``columns(_:)`` start at column `first` of `row`:
    /// the one place it is built from a row.
    init(row: some DatabaseRow, at first: Int = 0) throws {
        self.init(
            userID: try row.int64(first), version: try row.int64(first + 1),
            takenAt: try row.optionalInt64(first + 2).map(Date.init(unixTime:)),
            failure: try row.optionalText(first + 3).flatMap(RefreshFailure.init(rawValue:)),
            failedAt: try row.optionalInt64(first + 4).map(Date.init(unixTime:)),
            isDue: try row.optionalInt64(first + 5) != nil)
    }

    /// The state of a `LEFT JOIN`: nil when the row has none.
    static func joined(row: some DatabaseRow, at first: Int) throws -> TaskCopyState? {
        try row.optionalInt64(first) == nil ? nil : TaskCopyState(row: row, at: first)
    }
}

extension TaskCopyClaim {
    /// What a claim's `RETURNING` gives, in order.
    static let columns = "user_id, wanted, failures, version"

    init(row: some DatabaseRow, holder: String) throws {
        self.init(
            userID: try row.int64(0), wanted: try row.int64(1), failures: Int(try row.int64(2)), version: try row.int64(3), holder: holder)
    }
}

extension SealedTaskCopy {
    /// The columns ``init(row:)`` reads, in order.
    static let columns = "user_id, version, key_id, sealed_copy"

    init(row: some DatabaseRow) throws {
        self.init(
            userID: try row.int64(0), version: try row.int64(1),
            sealed: TokenSealer.Sealed(keyID: try row.text(2), bytes: try row.blob(3)))
    }
}
