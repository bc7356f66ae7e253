import Foundation
import GRDB

/// ``LoginThrottleStore`` on the `login_throttle` table.
struct SQLiteLoginThrottleStore: LoginThrottleStore {
    let database: AppDatabase

    func admit(
        _ keys: ThrottleKeys, at date: Date, windowStart: Date,
        decide: (ThrottleCounters) -> LoginThrottle.Decision
    ) throws -> LoginThrottle.Decision {
        // IMMEDIATE: the write lock is taken before the read, so another
        // process's attempt cannot read the same counters in between.
        try database.writeImmediately { db in
            func read(_ key: [UInt8]) throws -> LoginFailures? {
                try Row.fetchOne(
                    db, sql: "SELECT failures, last_failure_at FROM login_throttle WHERE key = ?", arguments: [Data(key)]
                ).map { LoginFailures(count: $0[0], last: Date(unixTime: $0[1])) }
            }
            let decision = decide(
                ThrottleCounters(
                    pair: try read(keys.pair), address: try read(keys.address), username: try read(keys.username),
                    trusted: try read(keys.trusted)))
            guard case .admitted = decision else { return (decision, commit: false) }
            for (key, owner) in [(keys.pair, keys.username), (keys.address, nil), (keys.username, keys.username)] {
                try db.execute(
                    sql: """
                        INSERT INTO login_throttle (key, username_hash, failures, last_failure_at) VALUES (?, ?, 1, ?)
                        ON CONFLICT (key) DO UPDATE SET
                            failures = CASE WHEN last_failure_at < ? THEN 1 ELSE failures + 1 END,
                            last_failure_at = excluded.last_failure_at
                        """,
                    arguments: [Data(key), owner.map { Data($0) }, date.unixTime, windowStart.unixTime])
            }
            return (decision, commit: true)
        }
    }

    func forgive(_ keys: ThrottleKeys, at date: Date) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM login_throttle WHERE key = ?", arguments: [Data(keys.pair)])
            try db.execute(
                sql: "UPDATE login_throttle SET failures = max(0, failures - 1) WHERE key IN (?, ?)",
                arguments: [Data(keys.address), Data(keys.username)])
            // A trusted address is a row with failures = -1, "last" its last log-in.
            try db.execute(
                sql: """
                    INSERT INTO login_throttle (key, username_hash, failures, last_failure_at) VALUES (?, ?, -1, ?)
                    ON CONFLICT (key) DO UPDATE SET last_failure_at = excluded.last_failure_at
                    """,
                arguments: [Data(keys.trusted), Data(keys.username), date.unixTime])
        }
    }

    func clear(usernameDigest: [UInt8]) throws -> Int {
        try database.write { db in
            try db.execute(sql: "DELETE FROM login_throttle WHERE username_hash = ? AND failures >= 0", arguments: [Data(usernameDigest)])
            return db.changesCount
        }
    }

    func deleteStale(failuresBefore: Date, trustedBefore: Date) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM login_throttle WHERE last_failure_at < (CASE WHEN failures < 0 THEN ? ELSE ? END)",
                arguments: [trustedBefore.unixTime, failuresBefore.unixTime])
        }
    }
}
