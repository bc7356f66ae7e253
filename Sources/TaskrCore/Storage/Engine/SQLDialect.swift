/// Where SQLite's SQL and PostgreSQL's differ and one text cannot serve
/// both, answered in one place (sql-kit's dialect idea, without sql-kit):
/// everything else, placeholders included, is written once. DDL lives in
/// the migrations, once per dialect.
enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// Ends a sub-SELECT that checks a row a concurrent transaction may be
    /// changing, so the check waits for that change and sees its result.
    /// PostgreSQL (READ COMMITTED) reads the last committed version without
    /// waiting, so a log-in checked the old password hash while a password
    /// change was in flight and kept its session: `FOR SHARE` waits for the
    /// change's row lock and then reads the row again. SQLite runs one write
    /// transaction at a time already.
    var lockingCheckedRow: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR SHARE"
        }
    }

    /// Ends a sub-SELECT that picks a row to claim, so two hosts claiming
    /// at once pick different rows instead of waiting on each other.
    /// SQLite runs one write transaction at a time already.
    var skippingLockedRows: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE SKIP LOCKED"
        }
    }

    /// One row, column 0 the count, when table `$1` exists.
    var tableExists: String {
        switch self {
        case .sqlite: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
        case .postgres: "SELECT count(*) FROM pg_tables WHERE tablename = $1 AND schemaname = current_schema()"
        }
    }

    /// Taskr's tables, in the order they were created (so a table comes
    /// after every table it references): what ``DatabaseCopy`` copies.
    var tablesInCreationOrder: String {
        switch self {
        case .sqlite:
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        case .postgres:
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.oid
            """
        }
    }

    /// Statements that follow a copy of rows with their ids into this
    /// engine: PostgreSQL's identity goes on after the highest id copied.
    var afterCopy: [String] {
        switch self {
        case .sqlite: []
        case .postgres: ["SELECT setval(pg_get_serial_sequence('users', 'id'), GREATEST((SELECT max(id) FROM users), 1))"]
        }
    }
}
