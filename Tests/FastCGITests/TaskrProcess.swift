import Foundation
import Synchronization

/// A real `taskr` process started from the build folder, with its stderr
/// captured line by line so tests wait for what it says, not for time.
/// Killed if still running when released.
final class TaskrProcess {
    private let process = Process()
    private let stderr = Pipe()
    private let lines = Lines()

    /// The `taskr` binary that `swift build` put beside this test bundle.
    static var binary: URL {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return folder.appendingPathComponent("taskr")
    }

    /// Starts `taskr` with `arguments` in `directory`.
    ///
    /// - Parameters:
    ///   - environment: added to a minimal environment (no inherited `TASKR_*`).
    ///   - standardInput: becomes the child's fd 0, e.g. a listening socket.
    ///   - launcher: a program that starts taskr itself (its arguments
    ///     then name the binary), e.g. `systemd-socket-activate`.
    init(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], standardInput: FileHandle? = nil,
        launcher: URL? = nil
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(Self.binary.path): run `swift build` first"])
        }
        process.executableURL = launcher ?? Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = standardInput ?? FileHandle.nullDevice
        let handle = stderr.fileHandleForReading
        let lines = self.lines
        try process.run()
        Thread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lines.append(line)
                }
            }
        }.start()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var log: [String] { lines.all }

    /// Waits until a stderr line contains `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(20)) -> Bool {
        eventually(timeout: timeout) { log.contains { $0.contains(text) } }
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit and returns its status, or nil on timeout.
    func exitStatus(timeout: Duration = .seconds(20)) -> Int32? {
        guard eventually(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }
}

/// Lines read on one thread, looked at from another.
private final class Lines: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var all: [String] { storage.withLock { $0 } }
}
