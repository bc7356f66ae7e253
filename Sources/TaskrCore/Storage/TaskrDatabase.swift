/// The database Taskr runs on, whichever engine `TASKR_DATABASE` names: the
/// one value the composition root and the commands open, and the only one
/// that knows there are two engines. Everything past it sees ``Stores``.
public enum TaskrDatabase: Sendable {
    /// SQLite, embedded: one host (the default).
    case sqlite(SQLiteDatabase)
    /// PostgreSQL, shared by every host.
    case postgres(PostgresDatabase)

    /// Opens the database at `location`.
    /// - Parameters:
    ///   - existing: open only a database that is there already and leave
    ///     its schema as it is (`taskr check`); on PostgreSQL the server's
    ///     database must exist anyway.
    ///   - migrating: apply pending migrations at open.
    public static func open(_ location: DatabaseLocation, existing: Bool = false, migrating: Bool = true) throws -> TaskrDatabase {
        switch location {
        case let .sqlite(path): .sqlite(try SQLiteDatabase(path: path, existing: existing, migrating: migrating))
        case let .postgres(uri): .postgres(try PostgresDatabase(conninfo: uri, migrating: migrating && !existing))
        }
    }

    /// The stores on this database (each engine's concrete type at the
    /// call, so the tables are built for it).
    var stores: Stores {
        switch self {
        case let .sqlite(database): Stores(engine: database)
        case let .postgres(database): Stores(engine: database)
        }
    }

    /// Whether the database answers (and, on SQLite, takes the write lock),
    /// for `/healthz` and `taskr check`.
    public func isAvailable() -> Bool { engine.isAvailable() }

    /// `taskr backup`: SQLite's consistent copy (``SQLiteDatabase/backup(to:)``);
    /// a PostgreSQL site is backed up with its own tools.
    /// - Returns: the backup's size in bytes.
    public func backup(to target: String) throws -> Int64 {
        switch self {
        case let .sqlite(database): try database.backup(to: target)
        case .postgres:
            throw BackupError(
                description: "TASKR_DATABASE is PostgreSQL: back it up with pg_dump (or pg_basebackup), "
                    + "e.g. pg_dump -Fc -f taskr.dump \"$TASKR_DATABASE\"")
        }
    }

    /// Which migrations are applied, and which this build knows.
    public func migrationState() throws -> MigrationState { try state(of: engine) }

    /// Applies the pending migrations; returns their names.
    @discardableResult
    public func migrate() throws -> [String] { try migrateEngine(engine) }
}

extension TaskrDatabase {
    /// The engine, for code written once over ``DatabaseEngine`` (the
    /// migrator, the copy, engine-neutral test helpers).
    var engine: any DatabaseEngine {
        switch self {
        case let .sqlite(database): database
        case let .postgres(database): database
        }
    }
}

// Open the engine existential into a generic call (SE-0352).
private func state(of engine: some DatabaseEngine) throws -> MigrationState { try Migrator(engine: engine).state() }
private func migrateEngine(_ engine: some DatabaseEngine) throws -> [String] { try Migrator(engine: engine).migrate() }
