import Foundation
import GRDB
import HTTP
import Logging
import Sodium
@testable import TaskrCore

/// Runs `body` with a fresh temporary directory, removed afterwards whatever happens.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async rethrows -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskr-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// A fresh application on a temporary database.
func withApplication<T>(
    busyTimeout: Double = 5,
    clock: any WallClock = SystemClock(),
    _ body: (Application, _ databasePath: String) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let path = directory.appendingPathComponent("taskr.sqlite3").path
        let database = try AppDatabase(path: path, busyTimeout: busyTimeout)
        let application = try Application(
            database: database, views: try await Views.bundled(), settings: Settings(),
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
    let locker = try DatabaseQueue(path: path)
    return try locker.inDatabase { db in
        try db.execute(sql: "BEGIN IMMEDIATE")
        defer { try? db.execute(sql: "ROLLBACK") }
        return try body()
    }
}
