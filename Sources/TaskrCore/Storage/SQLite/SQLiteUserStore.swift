import Foundation
import GRDB

/// ``UserStore`` on the `users` table.
struct SQLiteUserStore: UserStore {
    let database: AppDatabase

    func create(username: Username, passwordHash: String, at date: Date) throws -> User? {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO users (username, username_key, password_hash, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (username_key) DO NOTHING
                    """,
                arguments: [username.display, username.key, passwordHash, date.unixTime])
            guard db.changesCount == 1 else { return nil }
            return User(id: db.lastInsertedRowID, username: username.display, passwordHash: passwordHash)
        }
    }

    func user(usernameKey: String) throws -> User? {
        try database.fetchOne(
            "SELECT id, username, password_hash FROM users WHERE username_key = ?", arguments: [.text(usernameKey)]
        ) { row in
            User(id: try row.int64(0), username: try row.text(1), passwordHash: try row.text(2))
        }
    }

    func updatePasswordHash(userID: Int64, to hash: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [hash, userID])
        }
    }

    func changePassword(userID: Int64, to hash: String, keepingSession keeping: [UInt8]) throws -> Int {
        try database.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [hash, userID])
            return try SQLiteSessionStore.deleteAll(userID: userID, keeping: keeping, in: db)
        }
    }

    func delete(userID: Int64, throttleKey: [UInt8]) throws -> Bool {
        // Sessions, their OAuth states and the Attio connection go with the
        // row (ON DELETE CASCADE); the counters are keyed by the name's digest.
        try database.write { db in
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [userID])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM login_throttle WHERE username_hash = ?", arguments: [Data(throttleKey)])
            return true
        }
    }

    func summaries(sessionsIdleBefore: Date, sessionsCreatedBefore: Date) throws -> [UserSummary] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT u.id, u.username, u.created_at, a.key_id,
                           (SELECT count(*) FROM sessions s
                            WHERE s.user_id = u.id AND s.last_seen_at >= ? AND s.created_at >= ?) AS live_sessions
                    FROM users u LEFT JOIN attio_connections a ON a.user_id = u.id
                    ORDER BY u.id
                    """,
                arguments: [sessionsIdleBefore.unixTime, sessionsCreatedBefore.unixTime]
            ).map { row in
                UserSummary(
                    id: row["id"], username: row["username"], createdAt: Date(unixTime: row["created_at"]),
                    liveSessions: row["live_sessions"], attioKeyID: row["key_id"])
            }
        }
    }

    private static func user(from row: Row) -> User {
        User(id: row["id"], username: row["username"], passwordHash: row["password_hash"])
    }
}
