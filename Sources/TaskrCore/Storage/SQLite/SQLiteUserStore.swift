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
            "SELECT id, username, password_hash FROM users WHERE username_key = ?", arguments: [usernameKey], Self.user(from:))
    }

    func updatePasswordHash(userID: Int64, to hash: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [hash, userID])
        }
    }

    private static func user(from row: Row) -> User {
        User(id: row["id"], username: row["username"], passwordHash: row["password_hash"])
    }
}
