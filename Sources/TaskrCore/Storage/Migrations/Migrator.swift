import Foundation

/// Applies ``Migrations`` to one engine: the one mechanism for both.
///
/// Each migration runs in its own transaction under the engine's exclusive
/// lock (``DatabaseEngine/writeExclusively(_:)``), which first looks again at
/// what is applied: processes (`spawn-fcgi -F N`) or hosts starting at the
/// same moment apply each migration exactly once, and the others find it
/// done. Applied names are recorded in `taskr_migrations`.
struct Migrator<Engine: DatabaseEngine> {
    let engine: Engine

    /// Which migrations the database has applied, and which this build knows.
    func state() throws -> MigrationState {
        let applied = try engine.snapshot(applied)
        let known = Migrations.names(for: engine.dialect)
        // In this build's order; any a newer build applied come last.
        return MigrationState(applied: known.filter(applied.contains) + applied.filter { !known.contains($0) }.sorted(), known: known)
    }

    /// Applies the migrations not applied yet; returns their names.
    @discardableResult
    func migrate() throws -> [String] {
        var newlyApplied: [String] = []
        // One read first: at an ordinary start everything is applied, and no
        // write lock is taken. Each pending one looks again under the lock.
        let appliedAtStart = try engine.snapshot(applied)
        for migration in Migrations.all where !appliedAtStart.contains(migration.name) {
            guard let statements = migration.statements(for: engine.dialect) else { continue }
            let ran = try engine.writeExclusively { transaction in
                try transaction.execute(
                    "CREATE TABLE IF NOT EXISTS taskr_migrations (name text PRIMARY KEY, applied_at bigint NOT NULL)", [])
                guard try !applied(transaction).contains(migration.name) else { return false }
                for statement in statements { try transaction.execute(statement, []) }
                try transaction.execute(
                    "INSERT INTO taskr_migrations (name, applied_at) VALUES ($1, $2)", [.text(migration.name), .integer(Date().unixTime)])
                return true
            }
            if ran { newlyApplied.append(migration.name) }
        }
        return newlyApplied
    }

    /// The names applied so far. A SQLite file made before this mechanism
    /// recorded them in GRDB's `grdb_migrations`, under the same names:
    /// those count as applied too.
    private func applied(_ transaction: Engine.Transaction) throws -> [String] {
        var names: [String] = []
        for (table, column) in [("grdb_migrations", "identifier"), ("taskr_migrations", "name")] {
            let exists = try transaction.first(engine.dialect.tableExists, [.text(table)]) { try $0.int64(0) } ?? 0
            guard exists > 0 else { continue }
            // Fixed table and column names from the list above, never input.
            names += try transaction.all("SELECT \(column) FROM \(table)", []) { try $0.text(0) }
        }
        return names
    }
}

/// Where a database's schema stands against this build's migrations.
public struct MigrationState: Sendable, Equatable {
    /// Applied to the database, in order.
    public let applied: [String]
    /// Known to this build, in order.
    public let known: [String]

    /// Known here, not applied yet.
    public var pending: [String] { known.filter { !applied.contains($0) } }
    /// Applied by a newer build than this one.
    public var unknown: Set<String> { Set(applied).subtracting(known) }
    /// The last migration applied, e.g. "v4-account-page".
    public var version: String { applied.last ?? "empty" }
}
