import Foundation
import GRDB
import Postgres

/// `taskr copy-database`: moves a site from SQLite up to PostgreSQL. Copies
/// every row (users with their ids, sessions, Attio connections with their
/// sealed tokens as they are, OAuth states, log-in counters) into an empty
/// PostgreSQL database, in one transaction: the target has all of it or
/// none. Sealed tokens are bound to their user's id, which is kept, so the
/// same `TASKR_SECRET_KEY` opens them there.
public enum DatabaseCopy {
    /// How many rows of each table were copied.
    public struct Report: Sendable, Equatable {
        public var users = 0
        public var sessions = 0
        public var attioConnections = 0
        public var oauthStates = 0
        public var loginThrottle = 0
    }

    /// Why nothing was copied.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Copies `source` into `target`, which must hold no row yet (its schema
    /// is migrated first). Stop `taskr serve` before: rows written during
    /// the copy would be left behind.
    public static func copy(from source: AppDatabase, to target: PostgresDatabase) throws -> Report {
        let state = try source.migrationState()
        guard state.pending.isEmpty, state.unknown.isEmpty else {
            throw Refusal(description: "the SQLite database is not at this build's schema (\(state.version)): run taskr migrate on it first")
        }
        try target.migrate()
        // `read` is one read transaction (GRDB's pool): one snapshot of every
        // table, even if a process still writes.
        return try source.read { sqlite in
            try target.write { postgres in
                let existing = try postgres.query(
                    """
                    SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM attio_connections)
                         + (SELECT count(*) FROM oauth_states) + (SELECT count(*) FROM login_throttle)
                    """)
                guard try existing.int(0, 0) == 0 else {
                    throw Refusal(description: "the PostgreSQL database already holds data: copy-database only fills an empty one")
                }
                return try copyRows(from: sqlite, to: postgres)
            }
        }
    }

    private static func copyRows(from sqlite: GRDB.Database, to postgres: PostgresConnection) throws -> Report {
        var report = Report()
        for row in try Row.fetchAll(sqlite, sql: "SELECT id, username, username_key, password_hash, created_at FROM users ORDER BY id") {
            try postgres.query(
                "INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                [.int(row[0]), .text(row[1] as String), .text(row[2] as String), .text(row[3] as String), .int(row[4])])
            report.users += 1
        }
        // New users continue after the highest id copied.
        try postgres.query("SELECT setval(pg_get_serial_sequence('users', 'id'), GREATEST((SELECT max(id) FROM users), 1))")
        for row in try Row.fetchAll(
            sqlite, sql: "SELECT id_hash, user_id, csrf_token, created_at, last_seen_at, client_label FROM sessions")
        {
            try postgres.query(
                """
                INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, client_label)
                VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [.bytes(Array(row[0] as Data)), .int(row[1]), .text(row[2] as String), .int(row[3]), .int(row[4]), .text(row[5] as String)])
            report.sessions += 1
        }
        for row in try Row.fetchAll(
            sqlite,
            sql: "SELECT user_id, key_id, sealed_token, workspace_id, workspace_name, connected_at, paused_until FROM attio_connections")
        {
            try postgres.query(
                """
                INSERT INTO attio_connections (user_id, key_id, sealed_token, workspace_id, workspace_name, connected_at, paused_until)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """,
                [
                    .int(row[0]), .text(row[1] as String), .bytes(Array(row[2] as Data)), .text(row[3] as String?),
                    .text(row[4] as String?), .int(row[5]), (row[6] as Int64?).map { .int($0) } ?? .null,
                ])
            report.attioConnections += 1
        }
        for row in try Row.fetchAll(sqlite, sql: "SELECT state_hash, session_hash, created_at FROM oauth_states") {
            try postgres.query(
                "INSERT INTO oauth_states (state_hash, session_hash, created_at) VALUES ($1, $2, $3)",
                [.bytes(Array(row[0] as Data)), .bytes(Array(row[1] as Data)), .int(row[2])])
            report.oauthStates += 1
        }
        for row in try Row.fetchAll(sqlite, sql: "SELECT key, username_hash, failures, last_failure_at FROM login_throttle") {
            try postgres.query(
                "INSERT INTO login_throttle (key, username_hash, failures, last_failure_at) VALUES ($1, $2, $3, $4)",
                [.bytes(Array(row[0] as Data)), .bytes((row[1] as Data?).map(Array.init)), .int(row[2]), .int(row[3])])
            report.loginThrottle += 1
        }
        return report
    }
}
