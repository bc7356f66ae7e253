import Foundation
import HTTP
import Logging
import SQLite
import Sodium
@_exported import TestSupport

@testable import TaskrCore

/// A fresh application on a temporary database.
func withApplication<T>(
    busyTimeout: Double = 5,
    clock: any WallClock = SystemClock(),
    _ body: (Application, _ databasePath: String) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let path = directory.appendingPathComponent("taskr.sqlite3").path
        let database = try SQLiteDatabase(path: path, busyTimeout: busyTimeout)
        let application = try Application(
            database: .sqlite(database), views: try await Views.bundled(), settings: Settings(),
            secretKey: SecretKey.generate(), http: FakeAttio(clock: ManualClock()), clock: clock, logger: Logger(label: "test"))
        return try await body(application, path)
    }
}

extension Application {
    func get(_ target: String, headers: Headers = Headers()) throws -> Response {
        respond(to: try Request(method: .get, target: target, headers: headers))
    }
}

extension Response {
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Holds SQLite's write lock on the database at `path`, as another process
/// in the middle of a long write would, until `body` returns.
func whileDatabaseIsLocked<T>(_ path: String, _ body: () throws -> T) throws -> T {
    let locker = try SQLiteConnection(path: path, options: SQLiteOptions())
    try locker.run("BEGIN IMMEDIATE")
    defer { try? locker.run("ROLLBACK") }
    return try body()
}
