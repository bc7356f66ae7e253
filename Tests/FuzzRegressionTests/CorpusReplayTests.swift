import Foundation
import TaskrFuzzing
import Testing

/// Every seed input and every input that once crashed a fuzz target
/// (`Tests/fuzz/<corpus|regressions>/<target>/`) runs through its target again.
/// Serialized: the targets share one prepared application (a process-wide
/// singleton, as under libFuzzer), which parallel replays would share too.
@Suite(.serialized) struct CorpusReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) throws -> [URL] {
        let folder = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusRuns(_ target: FuzzTarget) async throws {
        try await FuzzTarget.prepare()
        let inputs = try Self.inputs("corpus", target)
        #expect(!inputs.isEmpty, "no seed inputs for \(target.rawValue)")
        for input in inputs {
            target.run(Array(try Data(contentsOf: input)))
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func inputsThatOnceCrashedRunClean(_ target: FuzzTarget) async throws {
        try await FuzzTarget.prepare()
        for input in try Self.inputs("regressions", target) {
            target.run(Array(try Data(contentsOf: input)))
        }
    }
}
