import Foundation

/// ``UserStore`` on the `users` table, on either engine.
struct UserTable<Engine: DatabaseEngine>: UserStore {
    let engine: Engine

    func create(username: Username, passwordHash: String, at date: Date) throws -> User? {
        try engine.write { transaction in
            try transaction.first(
                insertUser,
                [.text(username.display), .text(username.key), .text(passwordHash), .integer(date.unixTime)]
            ) { try User(row: $0) }
        }
    }

    // Specialised per engine, as the page read is (SessionTable).
    @_specialize(where Engine == SQLiteDatabase)
    @_specialize(where Engine == PostgresDatabase)
    func user(usernameKey: String) throws -> User? {
        try engine.first(userByKey, [.text(usernameKey)]) { try User(row: $0) }
    }

    func replacePasswordHash(userID: Int64, _ old: String, with new: String) throws -> Bool {
        try engine.execute(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3", [.text(new), .integer(userID), .text(old)]) == 1
    }

    func changePassword(userID: Int64, to hash: String, keepingSession keeping: [UInt8]) throws -> Int {
        try engine.write { transaction in
            try transaction.execute(Self.setPasswordHash, [.text(hash), .integer(userID)])
            return try SessionTable<Engine>.deleteAll(userID: userID, keeping: keeping, in: transaction)
        }
    }

    func delete(userID: Int64, throttleKey: [UInt8]) throws -> Bool {
        // Sessions, their OAuth states and the Attio connection go with the
        // row (ON DELETE CASCADE); the counters are keyed by the name's digest.
        try engine.write { transaction in
            guard try transaction.execute("DELETE FROM users WHERE id = $1", [.integer(userID)]) == 1 else { return false }
            try transaction.execute("DELETE FROM login_throttle WHERE username_hash = $1", [.blob(throttleKey)])
            return true
        }
    }

    func summaries(sessionsIdleBefore: Date, sessionsCreatedBefore: Date) throws -> [UserSummary] {
        try engine.all(
            """
            SELECT u.id, u.username, u.created_at, a.key_id,
                   (SELECT count(*) FROM sessions s
                    WHERE s.user_id = u.id AND s.last_seen_at >= $1 AND s.created_at >= $2)
            FROM users u LEFT JOIN attio_connections a ON a.user_id = u.id
            ORDER BY u.id
            """,
            [.integer(sessionsIdleBefore.unixTime), .integer(sessionsCreatedBefore.unixTime)]
        ) { row in
            UserSummary(
                id: try row.int64(0), username: try row.text(1), createdAt: Date(unixTime: try row.int64(2)),
                liveSessions: Int(try row.int64(4)), attioKeyID: try row.optionalText(3))
        }
    }

    private static var setPasswordHash: String { "UPDATE users SET password_hash = $1 WHERE id = $2" }
}

// Statements built from the record's column list, once per process (a
// generic type cannot hold stored statics).

private let insertUser = """
    INSERT INTO users (username, username_key, password_hash, created_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (username_key) DO NOTHING RETURNING \(User.columns())
    """

private let userByKey = "SELECT \(User.columns("u")) FROM users u WHERE u.username_key = $1"
