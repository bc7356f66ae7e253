import Foundation
import GRDB

/// ``LoginFailureStore`` on the `login_failures` table.
struct SQLiteLoginFailureStore: LoginFailureStore {
    let database: AppDatabase

    func failures(usernameKey: String) throws -> LoginFailures? {
        try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT failures, last_failure_at FROM login_failures WHERE username_key = ?", arguments: [usernameKey])
                .map { LoginFailures(count: $0["failures"], last: Date(unixTime: $0["last_failure_at"])) }
        }
    }

    func recordFailure(usernameKey: String, at date: Date, windowStart: Date) throws {
        try database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO login_failures (username_key, failures, last_failure_at) VALUES (?, 1, ?)
                    ON CONFLICT (username_key) DO UPDATE SET
                        failures = CASE WHEN last_failure_at < ? THEN 1 ELSE failures + 1 END,
                        last_failure_at = excluded.last_failure_at
                    """,
                arguments: [usernameKey, date.unixTime, windowStart.unixTime])
        }
    }

    func reset(usernameKey: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM login_failures WHERE username_key = ?", arguments: [usernameKey])
        }
    }

    func deleteFailures(before date: Date) throws {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM login_failures WHERE last_failure_at < ?", arguments: [date.unixTime])
        }
    }
}
