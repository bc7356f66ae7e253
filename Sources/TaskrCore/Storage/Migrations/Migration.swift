/// One named, forward-only schema change: its statements once per dialect,
/// or none for an engine it does not apply to (PostgreSQL came after
/// SQLite's first four). Never edit a migration that has shipped; add one.
struct Migration: Sendable {
    let name: String
    let sqlite: [String]?
    let postgres: [String]?

    /// The same statements on both engines (DDL that reads the same).
    init(_ name: String, both statements: [String]) {
        self.init(name, sqlite: statements, postgres: statements)
    }

    init(_ name: String, sqlite: [String]?, postgres: [String]?) {
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
    }

    /// The statements for `dialect`; nil when the migration is not one of its.
    func statements(for dialect: SQLDialect) -> [String]? {
        switch dialect {
        case .sqlite: sqlite
        case .postgres: postgres
        }
    }
}
