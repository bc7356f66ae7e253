import Foundation

/// ``LoginThrottleStore`` on the `login_throttle` table, on either engine.
struct LoginThrottleTable<Engine: DatabaseEngine>: LoginThrottleStore {
    let engine: Engine

    func admit(
        _ keys: ThrottleKeys, at date: Date, windowStart: Date,
        decide: (ThrottleCounters) -> LoginThrottle.Decision
    ) throws -> LoginThrottle.Decision {
        // Exclusively: the lock is taken before the read, so another
        // process's (or host's) attempt cannot read the same counters in
        // between. Log-ins are few (each costs an Argon2 run), so one lock
        // for all of them costs nothing that matters.
        try engine.writeExclusively { transaction in
            func read(_ key: [UInt8]) throws -> LoginFailures? {
                try transaction.first("SELECT failures, last_failure_at FROM login_throttle WHERE key = $1", [.blob(key)]) {
                    LoginFailures(count: Int(try $0.int64(0)), last: Date(unixTime: try $0.int64(1)))
                }
            }
            let decision = decide(
                ThrottleCounters(
                    pair: try read(keys.pair), address: try read(keys.address), username: try read(keys.username),
                    trusted: try read(keys.trusted)))
            // Refused: nothing counted (the transaction commits no change).
            guard case .admitted = decision else { return decision }
            for (key, owner) in [(keys.pair, keys.username), (keys.address, nil), (keys.username, keys.username)] {
                try transaction.execute(
                    """
                    INSERT INTO login_throttle AS t (key, username_hash, failures, last_failure_at) VALUES ($1, $2, 1, $3)
                    ON CONFLICT (key) DO UPDATE SET
                        failures = CASE WHEN t.last_failure_at < $4 THEN 1 ELSE t.failures + 1 END,
                        last_failure_at = excluded.last_failure_at
                    """,
                    [.blob(key), .blob(owner), .integer(date.unixTime), .integer(windowStart.unixTime)])
            }
            return decision
        }
    }

    func retract(_ keys: ThrottleKeys) throws {
        try engine.execute(takeOneBack + " IN ($1, $2, $3)", [.blob(keys.pair), .blob(keys.address), .blob(keys.username)])
    }

    func forgive(_ keys: ThrottleKeys, at date: Date) throws {
        try engine.write { transaction in
            try transaction.execute("DELETE FROM login_throttle WHERE key = $1", [.blob(keys.pair)])
            try transaction.execute(takeOneBack + " IN ($1, $2)", [.blob(keys.address), .blob(keys.username)])
            // A trusted address is a row with failures = -1, "last" its last log-in.
            try transaction.execute(
                """
                INSERT INTO login_throttle (key, username_hash, failures, last_failure_at) VALUES ($1, $2, -1, $3)
                ON CONFLICT (key) DO UPDATE SET last_failure_at = excluded.last_failure_at
                """,
                [.blob(keys.trusted), .blob(keys.username), .integer(date.unixTime)])
        }
    }

    func clear(usernameDigest: [UInt8]) throws -> Int {
        try engine.execute("DELETE FROM login_throttle WHERE username_hash = $1 AND failures >= 0", [.blob(usernameDigest)])
    }

    func deleteStale(failuresBefore: Date, trustedBefore: Date) throws {
        try engine.execute(
            "DELETE FROM login_throttle WHERE last_failure_at < (CASE WHEN failures < 0 THEN $1 ELSE $2 END)",
            [.integer(trustedBefore.unixTime), .integer(failuresBefore.unixTime)])
    }
}

/// One failure off each counter named after it (never below zero; the
/// trusted-address rows, at -1, are keyed apart and never named).
private let takeOneBack = "UPDATE login_throttle SET failures = CASE WHEN failures > 1 THEN failures - 1 ELSE 0 END WHERE key"
