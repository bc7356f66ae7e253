import Foundation
import Postgres

/// ``AttioConnectionStore`` on PostgreSQL's `attio_connections` table.
struct PostgresAttioConnectionStore: AttioConnectionStore {
    let database: PostgresDatabase

    func save(_ connection: AttioConnection) throws {
        // A new token starts without Attio's pause (paused_until NULL).
        try database.write { db in
            try db.query(
                """
                INSERT INTO attio_connections (user_id, key_id, sealed_token, workspace_id, workspace_name, connected_at, paused_until)
                VALUES ($1, $2, $3, $4, $5, $6, NULL)
                ON CONFLICT (user_id) DO UPDATE SET
                    key_id = excluded.key_id, sealed_token = excluded.sealed_token, workspace_id = excluded.workspace_id,
                    workspace_name = excluded.workspace_name, connected_at = excluded.connected_at, paused_until = NULL
                """,
                [
                    .int(connection.userID), .text(connection.sealedToken.keyID), .bytes(connection.sealedToken.bytes),
                    .text(connection.workspaceID), .text(connection.workspaceName), .int(connection.connectedAt.unixTime),
                ])
        }
    }

    func connection(userID: Int64) throws -> AttioConnection? {
        try database.read { db in
            try Self.connections(
                db.query("\(Self.columns) WHERE user_id = $1", [.int(userID)])
            ).first
        }
    }

    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws {
        try database.write { db in
            try db.query(
                "UPDATE attio_connections SET key_id = $1, sealed_token = $2 WHERE user_id = $3",
                [.text(sealed.keyID), .bytes(sealed.bytes), .int(userID)])
        }
    }

    func pause(userID: Int64, until: Date) throws {
        try database.write { db in
            try db.query("UPDATE attio_connections SET paused_until = $1 WHERE user_id = $2", [.int(until.unixTime), .int(userID)])
        }
    }

    func all() throws -> [AttioConnection] {
        try database.read { db in try Self.connections(db.query("\(Self.columns) ORDER BY user_id")) }
    }

    func replaceSealedToken(userID: Int64, _ old: TokenSealer.Sealed, with new: TokenSealer.Sealed) throws -> Bool {
        try database.write { db in
            try db.query(
                "UPDATE attio_connections SET key_id = $1, sealed_token = $2 WHERE user_id = $3 AND key_id = $4 AND sealed_token = $5",
                [.text(new.keyID), .bytes(new.bytes), .int(userID), .text(old.keyID), .bytes(old.bytes)]
            ).affectedRows == 1
        }
    }

    func delete(userID: Int64) throws {
        try database.write { db in
            try db.query("DELETE FROM attio_connections WHERE user_id = $1", [.int(userID)])
        }
    }

    private static let columns =
        "SELECT user_id, key_id, sealed_token, workspace_id, workspace_name, connected_at, paused_until FROM attio_connections"

    /// The rows of a ``columns`` query, in order.
    private static func connections(_ rows: PostgresResult) throws -> [AttioConnection] {
        try (0..<rows.count).map { row in
            AttioConnection(
                userID: try rows.int(row, 0), sealedToken: TokenSealer.Sealed(keyID: try rows.string(row, 1), bytes: try rows.bytes(row, 2)),
                workspaceID: try rows.optionalString(row, 3), workspaceName: try rows.optionalString(row, 4),
                connectedAt: Date(unixTime: try rows.int(row, 5)), pausedUntil: try rows.optionalInt(row, 6).map(Date.init(unixTime:)))
        }
    }
}
