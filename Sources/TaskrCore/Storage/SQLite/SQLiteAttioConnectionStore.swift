import Foundation
import GRDB

/// ``AttioConnectionStore`` on the `attio_connections` table.
struct SQLiteAttioConnectionStore: AttioConnectionStore {
    let database: AppDatabase

    func save(_ connection: AttioConnection) throws {
        try database.write { db in
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
            "SELECT key_id, sealed_token, workspace_id, workspace_name, connected_at, paused_until FROM attio_connections WHERE user_id = ?",
            arguments: [.integer(userID)]
        ) { row in
            AttioConnection(
                userID: userID,
                sealedToken: TokenSealer.Sealed(keyID: try row.text(0), bytes: try row.blob(1)),
                workspaceID: row.optionalText(2),
                workspaceName: row.optionalText(3),
                connectedAt: Date(unixTime: try row.int64(4)),
                pausedUntil: row.optionalInt64(5).map(Date.init(unixTime:)))
        }
    }

    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws {
        try database.write { db in
            try db.execute(
                sql: "UPDATE attio_connections SET key_id = ?, sealed_token = ? WHERE user_id = ?",
                arguments: [sealed.keyID, Data(sealed.bytes), userID])
        }
    }

    func pause(userID: Int64, until: Date) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE attio_connections SET paused_until = ? WHERE user_id = ?", arguments: [until.unixTime, userID])
        }
    }

    func all() throws -> [AttioConnection] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT user_id, key_id, sealed_token, workspace_id, workspace_name, connected_at, paused_until FROM attio_connections ORDER BY user_id"
            ).map { row in
                AttioConnection(
                    userID: row["user_id"], sealedToken: TokenSealer.Sealed(keyID: row["key_id"], bytes: Array(row["sealed_token"] as Data)),
                    workspaceID: row["workspace_id"], workspaceName: row["workspace_name"], connectedAt: Date(unixTime: row["connected_at"]),
                    pausedUntil: (row["paused_until"] as Int64?).map(Date.init(unixTime:)))
            }
        }
    }

    func replaceSealedToken(userID: Int64, _ old: TokenSealer.Sealed, with new: TokenSealer.Sealed) throws -> Bool {
        try database.write { db in
            try db.execute(
                sql: "UPDATE attio_connections SET key_id = ?, sealed_token = ? WHERE user_id = ? AND key_id = ? AND sealed_token = ?",
                arguments: [new.keyID, Data(new.bytes), userID, old.keyID, Data(old.bytes)])
            return db.changesCount == 1
        }
    }

    func delete(userID: Int64) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM attio_connections WHERE user_id = ?", arguments: [userID])
        }
    }
}
