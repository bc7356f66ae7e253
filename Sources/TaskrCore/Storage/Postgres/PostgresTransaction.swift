import Postgres

/// The statements of one PostgreSQL transaction, on its thread's connection.
struct PostgresTransaction: DatabaseTransaction {
    let connection: PostgresConnection

    func first<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (PostgresRow) throws -> T) throws -> T? {
        let result = try connection.query(sql, arguments.map { $0.postgres })
        return result.count == 0 ? nil : try map(result[0])
    }

    func all<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (PostgresRow) throws -> T) throws -> [T] {
        try connection.query(sql, arguments.map { $0.postgres }).rows.map(map)
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try connection.query(sql, arguments.map { $0.postgres }).affectedRows
    }
}
