import SQLite

/// The statements of one SQLite transaction, on its thread's connection.
struct SQLiteTransaction: DatabaseTransaction {
    let connection: SQLiteConnection

    func first<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (SQLiteRow) throws -> T) throws -> T? {
        try connection.first(sql, arguments.map { $0.sqlite }, map)
    }

    func all<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (SQLiteRow) throws -> T) throws -> [T] {
        try connection.all(sql, arguments.map { $0.sqlite }, map)
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try connection.execute(sql, arguments.map { $0.sqlite })
    }
}
