import Foundation
import Postgres

/// ``LoginThrottleStore`` on PostgreSQL's `login_throttle` table.
struct PostgresLoginThrottleStore: LoginThrottleStore {
    let database: PostgresDatabase

    /// Serialises every host's check-and-count, as SQLite's `BEGIN
    /// IMMEDIATE` does: a transaction-scoped advisory lock, taken before
    /// the counters are read. Log-ins are few (each costs an Argon2 run),
    /// so one lock for all of them costs nothing that matters.
    private static let admitLock: Int64 = 0x7461_736B_72_01

    func admit(
        _ keys: ThrottleKeys, at date: Date, windowStart: Date,
        decide: (ThrottleCounters) -> LoginThrottle.Decision
    ) throws -> LoginThrottle.Decision {
        try database.write { db in
            try db.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.admitLock)])
            func read(_ key: [UInt8]) throws -> LoginFailures? {
                let rows = try db.query("SELECT failures, last_failure_at FROM login_throttle WHERE key = $1", [.bytes(key)])
                guard rows.count == 1 else { return nil }
                return LoginFailures(count: Int(try rows.int(0, 0)), last: Date(unixTime: try rows.int(0, 1)))
            }
            let decision = decide(
                ThrottleCounters(
                    pair: try read(keys.pair), address: try read(keys.address), username: try read(keys.username),
                    trusted: try read(keys.trusted)))
            // Refused: nothing counted (the transaction commits no change).
            guard case .admitted = decision else { return decision }
            for (key, owner) in [(keys.pair, keys.username), (keys.address, nil), (keys.username, keys.username)] {
                try db.query(
                    """
                    INSERT INTO login_throttle AS t (key, username_hash, failures, last_failure_at) VALUES ($1, $2, 1, $3)
                    ON CONFLICT (key) DO UPDATE SET
                        failures = CASE WHEN t.last_failure_at < $4 THEN 1 ELSE t.failures + 1 END,
                        last_failure_at = excluded.last_failure_at
                    """,
                    [.bytes(key), .bytes(owner), .int(date.unixTime), .int(windowStart.unixTime)])
            }
            return decision
        }
    }

    func forgive(_ keys: ThrottleKeys, at date: Date) throws {
        try database.write { db in
            try db.query("DELETE FROM login_throttle WHERE key = $1", [.bytes(keys.pair)])
            try db.query(
                "UPDATE login_throttle SET failures = GREATEST(0, failures - 1) WHERE key IN ($1, $2)",
                [.bytes(keys.address), .bytes(keys.username)])
            // A trusted address is a row with failures = -1, "last" its last log-in.
            try db.query(
                """
                INSERT INTO login_throttle (key, username_hash, failures, last_failure_at) VALUES ($1, $2, -1, $3)
                ON CONFLICT (key) DO UPDATE SET last_failure_at = excluded.last_failure_at
                """,
                [.bytes(keys.trusted), .bytes(keys.username), .int(date.unixTime)])
        }
    }

    func clear(usernameDigest: [UInt8]) throws -> Int {
        try database.write { db in
            try db.query("DELETE FROM login_throttle WHERE username_hash = $1 AND failures >= 0", [.bytes(usernameDigest)]).affectedRows
        }
    }

    func deleteStale(failuresBefore: Date, trustedBefore: Date) throws {
        try database.write { db in
            try db.query(
                "DELETE FROM login_throttle WHERE last_failure_at < (CASE WHEN failures < 0 THEN $1 ELSE $2 END)",
                [.int(trustedBefore.unixTime), .int(failuresBefore.unixTime)])
        }
    }
}
