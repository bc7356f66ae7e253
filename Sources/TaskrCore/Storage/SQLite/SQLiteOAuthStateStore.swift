import Foundation
import GRDB

/// ``OAuthStateStore`` on the `oauth_states` table.
struct SQLiteOAuthStateStore: OAuthStateStore {
    let database: AppDatabase

    func insert(stateHash: [UInt8], sessionHash: [UInt8], at date: Date) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO oauth_states (state_hash, session_hash, created_at) VALUES (?, ?, ?)",
                arguments: [Data(stateHash), Data(sessionHash), date.unixTime])
        }
    }

    func consume(stateHash: [UInt8]) throws -> (sessionHash: [UInt8], createdAt: Date)? {
        try database.write { db in
            try Row.fetchOne(
                db,
                sql: "DELETE FROM oauth_states WHERE state_hash = ? RETURNING session_hash, created_at",
                arguments: [Data(stateHash)]
            ).map { row in (Array(row["session_hash"] as Data), Date(unixTime: row["created_at"])) }
        }
    }

    func deleteOlder(than date: Date) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM oauth_states WHERE created_at < ?", arguments: [date.unixTime])
        }
    }
}
