import GRDB

extension AppDatabase {
    /// The schema, as named, ordered, forward-only migrations: each runs once,
    /// in its own transaction, recorded in `grdb_migrations`. Never edit a
    /// migration that has shipped; add a new one.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1-accounts") { db in
            try db.create(table: "users") { table in
                table.autoIncrementedPrimaryKey("id")
                // As typed (trimmed, NFC), for display.
                table.column("username", .text).notNull()
                // Lower-cased: one account per name, whatever the case.
                table.column("username_key", .text).notNull().unique()
                // Argon2id, self-describing ($argon2id$v=19$m=…).
                table.column("password_hash", .text).notNull()
                table.column("created_at", .integer).notNull()
            }
            try db.create(table: "sessions") { table in
                // SHA-256 of the cookie's token: the token itself is never stored.
                table.primaryKey("id_hash", .blob)
                // NULL for a visitor who has not logged in yet.
                table.column("user_id", .integer).indexed().references("users", onDelete: .cascade)
                table.column("csrf_token", .text).notNull()
                table.column("created_at", .integer).notNull()
                table.column("last_seen_at", .integer).notNull()
            }
            try db.create(index: "sessions_on_last_seen_at", on: "sessions", columns: ["last_seen_at"])
            try db.create(table: "login_failures") { table in
                // Per username key, for accounts that exist and ones that do not.
                table.primaryKey("username_key", .text)
                table.column("failures", .integer).notNull()
                table.column("last_failure_at", .integer).notNull()
            }
        }

        migrator.registerMigration("v2-attio") { db in
            try db.create(table: "attio_connections") { table in
                table.primaryKey("user_id", .integer).references("users", onDelete: .cascade)
                // Which secret key sealed the token (TASKR_SECRET_KEY rotation).
                table.column("key_id", .text).notNull()
                // nonce ‖ XChaCha20-Poly1305 ciphertext ‖ tag; never the plaintext token.
                table.column("sealed_token", .blob).notNull()
                table.column("workspace_id", .text)
                table.column("workspace_name", .text)
                table.column("connected_at", .integer).notNull()
            }
            try db.create(table: "oauth_states") { table in
                // SHA-256 of the state sent to Attio; single use, 10 minutes.
                table.primaryKey("state_hash", .blob)
                table.column("session_hash", .blob).notNull().indexed()
                    .references("sessions", column: "id_hash", onDelete: .cascade)
                table.column("created_at", .integer).notNull()
            }
        }

        migrator.registerMigration("v3-throttle-and-no-visitor-sessions") { db in
            // Failed log-ins per (name, address), per address and per name,
            // each keyed by a SHA-256 digest: never the typed text.
            try db.drop(table: "login_failures")
            try db.create(table: "login_throttle") { table in
                table.primaryKey("key", .blob)
                // The name's digest on its per-name and per-pair rows, so an
                // operator can clear every counter of one name.
                table.column("username_hash", .blob).indexed()
                table.column("failures", .integer).notNull()
                table.column("last_failure_at", .integer).notNull()
            }
            try db.create(index: "login_throttle_on_last_failure_at", on: "login_throttle", columns: ["last_failure_at"])
            // Visitors' forms carry stateless tokens now: a session row
            // exists only for a logged-in user.
            try db.execute(sql: "DELETE FROM sessions WHERE user_id IS NULL")
        }

        migrator.registerMigration("v4-account-page") { db in
            // A short label of the browser a session began in ("Firefox on
            // Linux"), shown on /account: a few known words, never the raw
            // User-Agent.
            try db.alter(table: "sessions") { table in
                table.add(column: "client_label", .text).notNull().defaults(to: "")
            }
        }

        migrator.registerMigration("v5-attio-pauses") { db in
            // Attio's Retry-After for a user, kept with the connection so
            // every process (and, on PostgreSQL, every host) holds back.
            try db.alter(table: "attio_connections") { table in
                table.add(column: "paused_until", .integer)
            }
        }

        return migrator
    }()
}
