public import Foundation

/// Runs `body` with a fresh temporary directory (made traversable, so a
/// web server's workers can reach sockets in it), removed afterwards
/// whatever happens.
public func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async rethrows -> T {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// The same, for synchronous tests, with the directory as a path.
public func withTemporaryPath<T>(_ body: (String) throws -> T) rethrows -> T {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.path)
}

private func makeTemporaryDirectory() -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskr-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}
