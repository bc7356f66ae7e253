import Foundation
import GRDB

/// ``AttioConnectionStore`` on the `attio_connections` table.
struct SQLiteAttioConnectionStore: AttioConnectionStore {
    let database: AppDatabase

    func save(_ connection: AttioConnection) throws {
        try database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO attio_connections
                        (user_id, key_id, sealed_token, workspace_id, workspace_name, connected_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    connection.userID, connection.sealedToken.keyID, Data(connection.sealedToken.bytes),
                    connection.workspaceID, connection.workspaceName, connection.connectedAt.unixTime,
                ])
        }
    }

    func connection(userID: Int64) throws -> AttioConnection? {
        try database.fetchOne(
            "SELECT key_id, sealed_token, workspace_id, workspace_name, connected_at FROM attio_connections WHERE user_id = ?",
            arguments: [userID]
        ) { row in
            // By position, in the SELECT's order (read by every logged-in home page).
            AttioConnection(
                userID: userID,
                sealedToken: TokenSealer.Sealed(keyID: row[0], bytes: Array(row[1] as Data)),
                workspaceID: row[2],
                workspaceName: row[3],
                connectedAt: Date(unixTime: row[4]))
        }
    }

    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws {
        try database.pool.write { db in
            try db.execute(
                sql: "UPDATE attio_connections SET key_id = ?, sealed_token = ? WHERE user_id = ?",
                arguments: [sealed.keyID, Data(sealed.bytes), userID])
        }
    }

    func delete(userID: Int64) throws {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM attio_connections WHERE user_id = ?", arguments: [userID])
        }
    }
}

/// ``OAuthStateStore`` on the `oauth_states` table.
struct SQLiteOAuthStateStore: OAuthStateStore {
    let database: AppDatabase

    func insert(stateHash: [UInt8], sessionHash: [UInt8], at date: Date) throws {
        try database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO oauth_states (state_hash, session_hash, created_at) VALUES (?, ?, ?)",
                arguments: [Data(stateHash), Data(sessionHash), date.unixTime])
        }
    }

    func consume(stateHash: [UInt8]) throws -> (sessionHash: [UInt8], createdAt: Date)? {
        try database.pool.write { db in
            try Row.fetchOne(
                db,
                sql: "DELETE FROM oauth_states WHERE state_hash = ? RETURNING session_hash, created_at",
                arguments: [Data(stateHash)]
            ).map { row in (Array(row["session_hash"] as Data), Date(unixTime: row["created_at"])) }
        }
    }

    func deleteOlder(than date: Date) throws {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM oauth_states WHERE created_at < ?", arguments: [date.unixTime])
        }
    }
}
