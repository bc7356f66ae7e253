import Foundation
import GRDB

/// ``SessionStore`` on the `sessions` table.
struct SQLiteSessionStore: SessionStore {
    let database: AppDatabase

    func insert(_ session: Session, replacing: [UInt8]?) throws {
        try database.write { db in
            if let replacing {
                try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [Data(replacing)])
            }
            try db.execute(
                sql: """
                    INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, client_label)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Data(session.idHash), session.userID, session.csrfToken, session.createdAt.unixTime, session.lastSeenAt.unixTime,
                    session.clientLabel,
                ])
        }
    }

    func session(idHash: [UInt8]) throws -> SessionRecord? {
        try database.fetchOne(
            """
            SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen_at, u.username, u.password_hash,
                   a.key_id, a.sealed_token, a.workspace_id, a.workspace_name, a.connected_at, a.paused_until
            FROM sessions s JOIN users u ON u.id = s.user_id
            LEFT JOIN attio_connections a ON a.user_id = s.user_id
            WHERE s.id_hash = ?
            """,
            arguments: [.blob(idHash)]
        ) { row in
            // By position, in the SELECT's order: every request makes this read.
            let userID = try row.int64(0)
            let session = Session(
                idHash: idHash,
                userID: userID,
                csrfToken: try row.text(1),
                createdAt: Date(unixTime: try row.int64(2)),
                lastSeenAt: Date(unixTime: try row.int64(3)))
            var attio: AttioConnection?
            if let keyID = row.optionalText(6) {
                attio = AttioConnection(
                    userID: userID, sealedToken: TokenSealer.Sealed(keyID: keyID, bytes: try row.blob(7)),
                    workspaceID: row.optionalText(8), workspaceName: row.optionalText(9), connectedAt: Date(unixTime: try row.int64(10)),
                    pausedUntil: row.optionalInt64(11).map(Date.init(unixTime:)))
            }
            return SessionRecord(
                session: session, user: User(id: userID, username: try row.text(4), passwordHash: try row.text(5)), attio: attio)
        }
    }

    func touch(idHash: [UInt8], at date: Date) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", arguments: [date.unixTime, Data(idHash)])
        }
    }

    func delete(idHash: [UInt8]) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [Data(idHash)])
        }
    }

    func sessions(userID: Int64) throws -> [Session] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id_hash, csrf_token, created_at, last_seen_at, client_label FROM sessions
                    WHERE user_id = ? ORDER BY last_seen_at DESC, created_at DESC
                    """,
                arguments: [userID]
            ).map { row in
                Session(
                    idHash: Array(row["id_hash"] as Data), userID: userID, csrfToken: row["csrf_token"],
                    createdAt: Date(unixTime: row["created_at"]), lastSeenAt: Date(unixTime: row["last_seen_at"]),
                    clientLabel: row["client_label"])
            }
        }
    }

    func deleteAll(userID: Int64, keeping: [UInt8]) throws -> Int {
        try database.write { try Self.deleteAll(userID: userID, keeping: keeping, in: $0) }
    }

    /// Ends every session of the user but `keeping`, inside the caller's
    /// transaction (a password change does it with the new hash); returns how many.
    static func deleteAll(userID: Int64, keeping: [UInt8], in db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", arguments: [userID, Data(keeping)])
        return db.changesCount
    }

    func deleteExpired(idleBefore: Date, createdBefore: Date) throws -> Int {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                arguments: [idleBefore.unixTime, createdBefore.unixTime])
            return db.changesCount
        }
    }
}
