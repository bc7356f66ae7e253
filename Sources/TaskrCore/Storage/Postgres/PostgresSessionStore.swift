import Foundation
import Postgres

/// ``SessionStore`` on PostgreSQL's `sessions` table.
struct PostgresSessionStore: SessionStore {
    let database: PostgresDatabase

    func insert(_ session: Session, replacing: [UInt8]?) throws {
        try database.write { connection in
            if let replacing {
                try connection.query("DELETE FROM sessions WHERE id_hash = $1", [.bytes(replacing)])
            }
            try connection.query(
                """
                INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, client_label)
                VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [
                    .bytes(session.idHash), .int(session.userID), .text(session.csrfToken), .int(session.createdAt.unixTime),
                    .int(session.lastSeenAt.unixTime), .text(session.clientLabel),
                ])
        }
    }

    func session(idHash: [UInt8]) throws -> SessionRecord? {
        // One round trip: the session, its user and the Attio connection.
        try database.read { connection in
            let rows = try connection.query(
                """
                SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen_at, u.username, u.password_hash,
                       a.key_id, a.sealed_token, a.workspace_id, a.workspace_name, a.connected_at, a.paused_until
                FROM sessions s JOIN users u ON u.id = s.user_id
                LEFT JOIN attio_connections a ON a.user_id = s.user_id
                WHERE s.id_hash = $1
                """,
                [.bytes(idHash)])
            guard rows.count == 1 else { return nil }
            let userID = try rows.int(0, 0)
            let session = Session(
                idHash: idHash, userID: userID, csrfToken: try rows.string(0, 1),
                createdAt: Date(unixTime: try rows.int(0, 2)), lastSeenAt: Date(unixTime: try rows.int(0, 3)))
            let attio =
                try rows.isNull(0, 6)
                ? nil
                : AttioConnection(
                    userID: userID, sealedToken: TokenSealer.Sealed(keyID: try rows.string(0, 6), bytes: try rows.bytes(0, 7)),
                    workspaceID: try rows.optionalString(0, 8), workspaceName: try rows.optionalString(0, 9),
                    connectedAt: Date(unixTime: try rows.int(0, 10)), pausedUntil: try rows.optionalInt(0, 11).map(Date.init(unixTime:)))
            return SessionRecord(
                session: session, user: User(id: userID, username: try rows.string(0, 4), passwordHash: try rows.string(0, 5)), attio: attio)
        }
    }

    func touch(idHash: [UInt8], at date: Date) throws {
        try database.write { connection in
            try connection.query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", [.int(date.unixTime), .bytes(idHash)])
        }
    }

    func delete(idHash: [UInt8]) throws {
        try database.write { connection in
            try connection.query("DELETE FROM sessions WHERE id_hash = $1", [.bytes(idHash)])
        }
    }

    func sessions(userID: Int64) throws -> [Session] {
        try database.read { connection in
            let rows = try connection.query(
                """
                SELECT id_hash, csrf_token, created_at, last_seen_at, client_label FROM sessions
                WHERE user_id = $1 ORDER BY last_seen_at DESC, created_at DESC
                """,
                [.int(userID)])
            return try (0..<rows.count).map { row in
                Session(
                    idHash: try rows.bytes(row, 0), userID: userID, csrfToken: try rows.string(row, 1),
                    createdAt: Date(unixTime: try rows.int(row, 2)), lastSeenAt: Date(unixTime: try rows.int(row, 3)),
                    clientLabel: try rows.string(row, 4))
            }
        }
    }

    func deleteAll(userID: Int64, keeping: [UInt8]) throws -> Int {
        try database.write { try Self.deleteAll(userID: userID, keeping: keeping, on: $0) }
    }

    /// Ends every session of the user but `keeping`, inside the caller's
    /// transaction (a password change does it with the new hash); returns how many.
    static func deleteAll(userID: Int64, keeping: [UInt8], on connection: PostgresConnection) throws -> Int {
        try connection.query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", [.int(userID), .bytes(keeping)]).affectedRows
    }

    func deleteExpired(idleBefore: Date, createdBefore: Date) throws -> Int {
        // Idempotent: hosts running their housekeeping at the same moment
        // delete each row once between them.
        try database.write { connection in
            try connection.query(
                "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2", [.int(idleBefore.unixTime), .int(createdBefore.unixTime)]
            ).affectedRows
        }
    }
}
