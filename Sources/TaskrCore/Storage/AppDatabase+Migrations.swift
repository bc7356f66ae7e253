import GRDB

extension AppDatabase {
    /// The schema, as named, ordered, forward-only migrations: each runs once,
    /// in its own transaction, recorded in `grdb_migrations`. Never edit a
    /// migration that has shipped; add a new one. (The accounts issue adds
    /// the first tables.)
    static let migrator = DatabaseMigrator()
}
