import SQLite

/// The statements of one SQLite transaction, on its thread's connection.
struct SQLiteTransaction: DatabaseTransaction {
    let connection: SQLiteConnection

    func first<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (SQLiteRow) throws -> T) throws -> T? {
        try arguments.withSQLiteValues { try connection.first(sql, $0, map) }
    }

    func all<T>(_ sql: String, _ arguments: [DatabaseValue], _ map: (SQLiteRow) throws -> T) throws -> [T] {
        try arguments.withSQLiteValues { try connection.all(sql, $0, map) }
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try arguments.withSQLiteValues { try connection.execute(sql, $0) }
    }
}
