import Postgres

extension PostgresDatabase {
    /// Whether libpq's own parser reads `conninfo` (checked at start-up, so
    /// a string it cannot read never reaches a connection attempt, whose
    /// error would quote it).
    static func canRead(conninfo: String) -> Bool { PostgresConnectionString.isValid(conninfo) }

    /// `conninfo` for logs and command output, from libpq's parse of it:
    /// the options set, the password as `***`.
    static func redacted(conninfo: String) -> String { PostgresConnectionString.redacted(conninfo) }
}
