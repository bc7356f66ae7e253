import Foundation
import Postgres

/// ``UserStore`` on PostgreSQL's `users` table.
struct PostgresUserStore: UserStore {
    let database: PostgresDatabase

    func create(username: Username, passwordHash: String, at date: Date) throws -> User? {
        try database.write { connection in
            let rows = try connection.query(
                """
                INSERT INTO users (username, username_key, password_hash, created_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (username_key) DO NOTHING RETURNING id
                """,
                [.text(username.display), .text(username.key), .text(passwordHash), .int(date.unixTime)])
            guard rows.count == 1 else { return nil }
            return User(id: try rows.int(0, 0), username: username.display, passwordHash: passwordHash)
        }
    }

    func user(usernameKey: String) throws -> User? {
        try database.read { connection in
            let rows = try connection.query("SELECT id, username, password_hash FROM users WHERE username_key = $1", [.text(usernameKey)])
            guard rows.count == 1 else { return nil }
            return User(id: try rows.int(0, 0), username: try rows.string(0, 1), passwordHash: try rows.string(0, 2))
        }
    }

    func updatePasswordHash(userID: Int64, to hash: String) throws {
        try database.write { connection in
            try connection.query("UPDATE users SET password_hash = $1 WHERE id = $2", [.text(hash), .int(userID)])
        }
    }

    func changePassword(userID: Int64, to hash: String, keepingSession keeping: [UInt8]) throws -> Int {
        try database.write { connection in
            try connection.query("UPDATE users SET password_hash = $1 WHERE id = $2", [.text(hash), .int(userID)])
            return try PostgresSessionStore.deleteAll(userID: userID, keeping: keeping, on: connection)
        }
    }

    func delete(userID: Int64, throttleKey: [UInt8]) throws -> Bool {
        // Sessions, their OAuth states and the Attio connection go with the
        // row (ON DELETE CASCADE); the counters are keyed by the name's digest.
        try database.write { connection in
            guard try connection.query("DELETE FROM users WHERE id = $1", [.int(userID)]).affectedRows == 1 else { return false }
            try connection.query("DELETE FROM login_throttle WHERE username_hash = $1", [.bytes(throttleKey)])
            return true
        }
    }

    func summaries(sessionsIdleBefore: Date, sessionsCreatedBefore: Date) throws -> [UserSummary] {
        try database.read { connection in
            let rows = try connection.query(
                """
                SELECT u.id, u.username, u.created_at, a.key_id,
                       (SELECT count(*) FROM sessions s
                        WHERE s.user_id = u.id AND s.last_seen_at >= $1 AND s.created_at >= $2)
                FROM users u LEFT JOIN attio_connections a ON a.user_id = u.id
                ORDER BY u.id
                """,
                [.int(sessionsIdleBefore.unixTime), .int(sessionsCreatedBefore.unixTime)])
            return try (0..<rows.count).map { row in
                UserSummary(
                    id: try rows.int(row, 0), username: try rows.string(row, 1), createdAt: Date(unixTime: try rows.int(row, 2)),
                    liveSessions: Int(try rows.int(row, 4)), attioKeyID: try rows.optionalString(row, 3))
            }
        }
    }
}
