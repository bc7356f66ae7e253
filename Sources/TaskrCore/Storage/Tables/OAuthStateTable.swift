import Foundation

/// ``OAuthStateStore`` on the `oauth_states` table, on either engine.
struct OAuthStateTable<Engine: DatabaseEngine>: OAuthStateStore {
    let engine: Engine

    func insert(stateHash: [UInt8], sessionHash: [UInt8], at date: Date) throws {
        try engine.execute(
            "INSERT INTO oauth_states (state_hash, session_hash, created_at) VALUES ($1, $2, $3)",
            [.blob(stateHash), .blob(sessionHash), .integer(date.unixTime)])
    }

    func consume(stateHash: [UInt8]) throws -> (sessionHash: [UInt8], createdAt: Date)? {
        // DELETE … RETURNING: of two hosts getting the same callback, one
        // gets the row and the other nothing.
        try engine.write { transaction in
            try transaction.first("DELETE FROM oauth_states WHERE state_hash = $1 RETURNING session_hash, created_at", [.blob(stateHash)]) {
                (try $0.blob(0), Date(unixTime: try $0.int64(1)))
            }
        }
    }

    func deleteOlder(than date: Date) throws {
        try engine.execute("DELETE FROM oauth_states WHERE created_at < $1", [.integer(date.unixTime)])
    }
}
