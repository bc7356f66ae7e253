/// What the stores need of a database engine, and all they know of one:
/// the tables (`Storage/Tables/`) are written once over this protocol, with
/// SQL in PostgreSQL's `$n` placeholders, which both engines take.
///
/// Every call runs on the calling thread's own connection (one per worker
/// thread, never contended, statements prepared once per connection).
protocol DatabaseEngine: Sendable {
    associatedtype Row: DatabaseRow
    associatedtype Transaction: DatabaseTransaction where Transaction.Row == Row

    /// How this engine's SQL differs where one text cannot serve both.
    var dialect: SQLDialect { get }

    /// The first row of one statement, outside a transaction (one
    /// statement reads one consistent snapshot): the page path.
    func first<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (Row) throws -> T) throws -> T?

    /// Every row of one statement, in one snapshot.
    func all<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (Row) throws -> T) throws -> [T]

    /// Runs `body` in one write transaction: committed when it returns,
    /// rolled back when it throws.
    func write<T>(_ body: (Transaction) throws -> T) throws -> T

    /// Like ``write(_:)``, holding the engine's one exclusive lock from
    /// before the first read, so no other process or host reads the same
    /// rows in between (check-and-count; migrations). SQLite: `BEGIN
    /// IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock.
    func writeExclusively<T>(_ body: (Transaction) throws -> T) throws -> T

    /// Runs `body` in one read-only snapshot of the whole database.
    func snapshot<T>(_ body: (Transaction) throws -> T) throws -> T

    /// Whether the database answers (and, on SQLite, grants the write
    /// lock), for `/healthz` and `taskr check`.
    func isAvailable() -> Bool
}

/// The statements of one transaction (or snapshot), on its connection.
protocol DatabaseTransaction {
    associatedtype Row: DatabaseRow
    func first<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (Row) throws -> T) throws -> T?
    func all<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (Row) throws -> T) throws -> [T]
    /// Runs one statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int
}

extension DatabaseEngine {
    /// Runs one statement in its own write transaction; returns how many
    /// rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try write { try $0.execute(sql, arguments) }
    }
}
