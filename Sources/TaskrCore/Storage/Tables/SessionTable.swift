import Foundation

/// ``SessionStore`` on the `sessions` table, on either engine.
struct SessionTable<Engine: DatabaseEngine>: SessionStore {
    let engine: Engine

    func insert(_ session: Session, replacing: [UInt8]?, credential: String) throws -> Bool {
        do {
            try engine.write { transaction in
                // Bound to the credential in the same statement: a password
                // change commits before or after it, never in between (on
                // PostgreSQL the check waits for a change in flight). When
                // it came first, the whole transaction rolls back. The user's
                // row is locked before any session row, as a password change
                // locks them, so the two never wait on each other in a circle.
                let statement = insertSession[engine.dialect]!
                guard try transaction.execute(statement, session.values + [.text(credential)]) == 1 else { throw CredentialChanged() }
                if let replacing { try transaction.execute(Self.deleteOne, [.blob(replacing)]) }
            }
            return true
        } catch is CredentialChanged {
            return false
        }
    }

    // The stores are held as existentials, whose witnesses run generic
    // code; the page path's methods get a copy specialised for each engine.
    @_specialize(where Engine == SQLiteDatabase)
    @_specialize(where Engine == PostgresDatabase)
    func session(idHash: [UInt8]) throws -> SessionRecord? {
        try engine.first(pageRead, [.blob(idHash)]) { row in
            SessionRecord(
                session: try Session(row: row), user: try User(row: row, at: Session.columnCount),
                attio: try AttioConnection.joined(row: row, at: Session.columnCount + User.columnCount),
                taskCopy: try TaskCopyState.joined(row: row, at: Session.columnCount + User.columnCount + AttioConnection.columnCount))
        }
    }

    @_specialize(where Engine == SQLiteDatabase)
    @_specialize(where Engine == PostgresDatabase)
    func touch(idHash: [UInt8], at date: Date) throws {
        try engine.execute("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", [.integer(date.unixTime), .blob(idHash)])
    }

    func delete(idHash: [UInt8]) throws {
        try engine.execute(Self.deleteOne, [.blob(idHash)])
    }

    func sessions(userID: Int64) throws -> [Session] {
        try engine.all(sessionsOfUser, [.integer(userID)]) { try Session(row: $0) }
    }

    func deleteAll(userID: Int64, keeping: [UInt8]) throws -> Int {
        try engine.write { try Self.deleteAll(userID: userID, keeping: keeping, in: $0) }
    }

    /// Ends every session of the user but `keeping`, inside the caller's
    /// transaction (a password change does it with the new hash); returns how many.
    static func deleteAll(userID: Int64, keeping: [UInt8], in transaction: Engine.Transaction) throws -> Int {
        try transaction.execute("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", [.integer(userID), .blob(keeping)])
    }

    func deleteExpired(idleBefore: Date, createdBefore: Date) throws -> Int {
        // Idempotent: hosts running their housekeeping at the same moment
        // delete each row once between them.
        try engine.execute(
            "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2", [.integer(idleBefore.unixTime), .integer(createdBefore.unixTime)])
    }

    private static var deleteOne: String { "DELETE FROM sessions WHERE id_hash = $1" }
}

// Statements built from the records' column lists, once per process (a
// generic type cannot hold stored statics): the same text every call, so
// each connection's statement cache finds it at once.

/// The read every page makes, as one statement: the session, its user, the
/// Attio connection and the state of its task copy.
private let pageRead = """
    SELECT \(Session.columns("s")), \(User.columns("u")), \(AttioConnection.columns("a")), \(TaskCopyState.columns("c"))
    FROM sessions s JOIN users u ON u.id = s.user_id
    LEFT JOIN attio_connections a ON a.user_id = s.user_id
    LEFT JOIN task_copies c ON c.user_id = s.user_id
    WHERE s.id_hash = $1
    """

private let insertSession = Dictionary(
    uniqueKeysWithValues: SQLDialect.allCases.map { dialect in
        (
            dialect,
            """
            INSERT INTO sessions (\(Session.columns())) SELECT $1, $2, $3, $4, $5, $6
            WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND password_hash = $7\(dialect.lockingCheckedRow))
            """
        )
    })

private let sessionsOfUser =
    "SELECT \(Session.columns("s")) FROM sessions s WHERE s.user_id = $1 ORDER BY s.last_seen_at DESC, s.created_at DESC"

/// Rolls back a session insert whose credential is no longer current.
private struct CredentialChanged: Error {}
