import Foundation

/// ``TaskCopyStore`` on the `task_copies` table, on either engine. The
/// lease is a claim in the row itself: on PostgreSQL the claim skips rows
/// another host is claiming (`FOR UPDATE SKIP LOCKED`); SQLite has one
/// writer, so its claim, one `UPDATE … RETURNING` in an immediate
/// transaction, needs nothing more.
struct TaskCopyTable<Engine: DatabaseEngine>: TaskCopyStore {
    let engine: Engine

    func markStale(userID: Int64, at date: Date) throws -> Bool {
        try engine.execute(markStaleStatement, [.integer(userID), .integer(date.unixTime)]) == 1
    }

    func markChanged(userID: Int64, at date: Date, viewedSince: Date) throws -> Bool {
        try engine.execute(
            "UPDATE task_copies SET wanted = wanted + 1, due_at = COALESCE(due_at, $1) WHERE user_id = $2 AND viewed_at >= $3",
            [.integer(date.unixTime), .integer(userID), .integer(viewedSince.unixTime)]) == 1
    }

    func oldestDue() throws -> Date? {
        try engine.first("SELECT min(due_at) FROM task_copies WHERE due_at IS NOT NULL", []) { try $0.optionalInt64(0) }?
            .map(Date.init(unixTime:))
    }

    func anyDue(at date: Date) throws -> Bool {
        try engine.first(anyDueStatement, [.integer(date.unixTime)]) { _ in true } ?? false
    }

    func claim(holder: String, at date: Date, leaseUntil: Date) throws -> TaskCopyClaim? {
        let statement = claimStatement[engine.dialect]!
        return try engine.write { transaction in
            try transaction.first(statement, [.integer(date.unixTime), .text(holder), .integer(leaseUntil.unixTime)]) {
                try TaskCopyClaim(row: $0, holder: holder)
            }
        }
    }

    func renew(_ claim: TaskCopyClaim, until: Date) throws -> Bool {
        try engine.execute(
            "UPDATE task_copies SET lease_until = $1 WHERE user_id = $2 AND lease_holder = $3",
            [.integer(until.unixTime), .integer(claim.userID), .text(claim.holder)]) == 1
    }

    func finish(_ claim: TaskCopyClaim, copy: SealedTaskCopy, at date: Date) throws -> Bool {
        try engine.execute(
            """
            UPDATE task_copies SET key_id = $1, sealed_copy = $2, version = $3, taken_at = $4,
                failure = NULL, failed_at = NULL, failures = 0, not_before = NULL, \(endingTheLease(claimedAt: 5))
            WHERE user_id = $6 AND lease_holder = $7 AND version = $8
            """,
            [
                .text(copy.sealed.keyID), .blob(copy.sealed.bytes), .integer(copy.version), .integer(date.unixTime),
                .integer(claim.wanted), .integer(claim.userID), .text(claim.holder), .integer(claim.version),
            ]) == 1
    }

    func fail(_ claim: TaskCopyClaim, _ failure: RefreshFailure, at date: Date, notBefore: Date) throws -> Bool {
        try engine.execute(
            """
            UPDATE task_copies SET failure = $1, failed_at = $2, failures = failures + 1, not_before = $3, \(endingTheLease(claimedAt: 4))
            WHERE user_id = $5 AND lease_holder = $6
            """,
            [
                .text(failure.rawValue), .integer(date.unixTime), .integer(notBefore.unixTime), .integer(claim.wanted),
                .integer(claim.userID), .text(claim.holder),
            ]) == 1
    }

    func release(_ claim: TaskCopyClaim) throws {
        try engine.execute(
            "UPDATE task_copies SET lease_holder = NULL, lease_until = NULL WHERE user_id = $1 AND lease_holder = $2",
            [.integer(claim.userID), .text(claim.holder)])
    }

    func replace(_ old: SealedTaskCopy, with copy: SealedTaskCopy, at date: Date) throws -> Bool {
        try engine.execute(
            """
            UPDATE task_copies SET key_id = $1, sealed_copy = $2, version = $3, wanted = wanted + 1, due_at = COALESCE(due_at, $4)
            WHERE user_id = $5 AND version = $6
            """,
            [
                .text(copy.sealed.keyID), .blob(copy.sealed.bytes), .integer(copy.version), .integer(date.unixTime), .integer(old.userID),
                .integer(old.version),
            ]) == 1
    }

    func sealedCopy(userID: Int64) throws -> SealedTaskCopy? {
        try engine.first("\(sealedCopies) AND user_id = $1", [.integer(userID)]) { try SealedTaskCopy(row: $0) }
    }

    func allSealed() throws -> [SealedTaskCopy] {
        try engine.all("\(sealedCopies) ORDER BY user_id", []) { try SealedTaskCopy(row: $0) }
    }

    func replaceSealed(_ old: SealedTaskCopy, with new: TokenSealer.Sealed) throws -> Bool {
        try engine.execute(
            "UPDATE task_copies SET key_id = $1, sealed_copy = $2 WHERE user_id = $3 AND version = $4",
            [.text(new.keyID), .blob(new.bytes), .integer(old.userID), .integer(old.version)]) == 1
    }

    /// A new connection's copy, inside the transaction that saves it: any
    /// copy of an earlier token is dropped (it may be another workspace),
    /// any lease on it ends (that refresh's result is not stored), and the
    /// first copy falls due at once.
    static func reset(userID: Int64, at date: Date, in transaction: Engine.Transaction) throws {
        try transaction.execute(
            """
            INSERT INTO task_copies (\(newCopyColumns)) VALUES ($1, 0, 1, $2, $2)
            ON CONFLICT (user_id) DO UPDATE SET key_id = NULL, sealed_copy = NULL, version = 0, taken_at = NULL,
                failure = NULL, failed_at = NULL, failures = 0, wanted = task_copies.wanted + 1, due_at = excluded.due_at,
                not_before = NULL, viewed_at = excluded.viewed_at, lease_holder = NULL, lease_until = NULL
            """, [.integer(userID), .integer(date.unixTime)])
    }
}

// Statements built once per process (a generic type cannot hold stored statics).

/// What a new row is written with: its user, version 0 (no copy yet), due once, now.
private let newCopyColumns = "user_id, version, wanted, due_at, viewed_at"

/// A copy a refresher may claim at `$1`: due, not leased (or its lease ran
/// out), not paused.
private let claimable =
    "due_at IS NOT NULL AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) AND (not_before IS NULL OR not_before <= $1)"

private let anyDueStatement = "SELECT 1 FROM task_copies WHERE \(claimable) LIMIT 1"

private let claimStatement = Dictionary(
    uniqueKeysWithValues: SQLDialect.allCases.map { dialect in
        (
            dialect,
            """
            UPDATE task_copies SET lease_holder = $2, lease_until = $3
            WHERE user_id = (SELECT user_id FROM task_copies WHERE \(claimable) ORDER BY due_at LIMIT 1\(dialect.skippingLockedRows))
            RETURNING \(TaskCopyClaim.columns)
            """
        )
    })

/// Ends a lease claimed at the count in placeholder `claimedAt`: the copy
/// stays due if it fell due again meanwhile.
private func endingTheLease(claimedAt: Int) -> String {
    "lease_holder = NULL, lease_until = NULL, due_at = CASE WHEN wanted > $\(claimedAt) THEN due_at ELSE NULL END"
}

/// A page saw the copy stale: due now, unless it is already (the row is
/// made for a connection that predates it).
private let markStaleStatement = """
    INSERT INTO task_copies (\(newCopyColumns)) SELECT user_id, 0, 1, $2, $2 FROM attio_connections WHERE user_id = $1
    ON CONFLICT (user_id) DO UPDATE SET wanted = task_copies.wanted + 1, due_at = excluded.due_at, viewed_at = excluded.viewed_at
    WHERE task_copies.due_at IS NULL
    """

private let sealedCopies = "SELECT \(SealedTaskCopy.columns) FROM task_copies WHERE sealed_copy IS NOT NULL"
