import Foundation
import Postgres

/// ``OAuthStateStore`` on PostgreSQL's `oauth_states` table.
struct PostgresOAuthStateStore: OAuthStateStore {
    let database: PostgresDatabase

    func insert(stateHash: [UInt8], sessionHash: [UInt8], at date: Date) throws {
        try database.write { db in
            try db.query(
                "INSERT INTO oauth_states (state_hash, session_hash, created_at) VALUES ($1, $2, $3)",
                [.bytes(stateHash), .bytes(sessionHash), .int(date.unixTime)])
        }
    }

    func consume(stateHash: [UInt8]) throws -> (sessionHash: [UInt8], createdAt: Date)? {
        // DELETE … RETURNING: of two hosts getting the same callback, one
        // gets the row and the other nothing.
        try database.write { db in
            let rows = try db.query("DELETE FROM oauth_states WHERE state_hash = $1 RETURNING session_hash, created_at", [.bytes(stateHash)])
            guard rows.count == 1 else { return nil }
            return (try rows.bytes(0, 0), Date(unixTime: try rows.int(0, 1)))
        }
    }

    func deleteOlder(than date: Date) throws {
        try database.write { db in
            try db.query("DELETE FROM oauth_states WHERE created_at < $1", [.int(date.unixTime)])
        }
    }
}
