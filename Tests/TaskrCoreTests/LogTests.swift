import Foundation
import HTTP
import Logging
import Testing

@testable import TaskrCore

@Suite("Logs: one line per event, whatever a request sends")
struct LogTests {
    @Test(arguments: [
        ("a\nb", #"a\nb"#), ("a\r\nb", #"a\r\nb"#), ("tab\there", #"tab\there"#),
        ("back\\slash", #"back\\slash"#), ("\u{202E}evil", #"\u{202e}evil"#), ("\u{2066}x\u{2069}", #"\u{2066}x\u{2069}"#),
        ("zero\u{200B}width", #"zero\u{200b}width"#), ("line\u{2028}sep", #"line\u{2028}sep"#), ("nul\u{0}", #"nul\u{0}"#),
        ("plain é 日本", "plain é 日本"),
    ])
    func controlAndBidiCharactersAreEscaped(_ raw: String, _ escaped: String) {
        #expect(LogText.escape(raw) == escaped)
    }

    @Test func theHandlerEscapesMessagesAndMetadata() {
        let capture = LogCapture()
        capture.escapingLogger.info("user said \("hi\nFAKE security: line")", metadata: ["path": "/x\u{202E}gpj.exe"])
        #expect(capture.all.count == 1)
        let line = capture.text
        #expect(!line.contains("\n"))
        #expect(line.contains(#"hi\nFAKE security: line"#))
        #expect(line.contains(#"/x\u{202e}gpj.exe"#))
    }

    @Test func onlyKnownOAuthErrorCodesAreLogged() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        for error in ["access_denied", "access_denied\nsecurity: forged", "<b>made up</b>"] {
            let redirect = try browser.get("/integrations/attio/connect")
            let state = try #require(oauthState(in: redirect))
            let encoded = error.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try browser.get("/integrations/attio/callback?error=\(encoded)&state=\(state)").status == .ok)
        }
        let log = test.logs.text
        #expect(log.contains("did not connect Attio (access_denied)"))
        #expect(log.components(separatedBy: "did not connect Attio (an unknown error code)").count - 1 == 2)
        #expect(!log.contains("forged") && !log.contains("made up"))
    }

    /// `taskr serve`'s handler, on a pipe: StreamLogHandler's line format,
    /// and whole lines from many threads at once (one write each, no lock).
    @Test func standardErrorLinesKeepTheirFormatAndNeverInterleave() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let reading = Thread.detachNewReader(ends[0])
        var logger = Logger(label: "taskr") { StandardErrorLogHandler(label: $0, descriptor: ends[1]) }
        logger.logLevel = .info
        logger.debug("not written at info")
        logger.info("GET / 200 0.3ms", metadata: ["b": "2", "a": "1"], source: "FastCGI")
        let shared = logger
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for line in 0..<200 { shared.info("worker \(worker) line \(line) \(String(repeating: "x", count: 100))") }
        }
        close(ends[1])
        let lines = reading.wait().split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1 + 8 * 200)
        let first = try #require(lines.first)
        #expect(first.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info taskr: a=1 b=2 \[FastCGI\] GET \/ 200 0\.3ms/) != nil, "\(first)")
        #expect(lines.dropFirst().allSatisfy { $0.wholeMatch(of: /\S+ info taskr: \[TaskrCoreTests\] worker \d line \d+ x{100}/) != nil })
    }

    /// `TASKR_LOG_FORMAT=json`: one object a line that a JSON parser reads
    /// back to the same fields, whatever the message held, and still no line
    /// a request can forge (the escaping handler runs first, as in `serve`).
    @Test func jsonLinesParseBackToTheSameFields() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let reading = Thread.detachNewReader(ends[0])
        var logger = Logger(label: "taskr") {
            EscapingLogHandler(wrapping: StandardErrorLogHandler(label: $0, descriptor: ends[1], format: .json))
        }
        logger.logLevel = .info
        let hostile = "quote \" back\\slash\nFAKE security: line\u{0}nul \u{202E}bidi é 🙂"
        logger.info("GET / 200 0.3ms", metadata: ["b": "2", "a": "\(hostile)"], source: "FastCGI")
        logger.warning("\(hostile)")
        close(ends[1])
        let lines = reading.wait().split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 2)
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let first = try #require(objects.first)
        #expect(first["level"] as? String == "info")
        #expect(first["label"] as? String == "taskr")
        #expect(first["source"] as? String == "FastCGI")
        #expect(first["message"] as? String == "GET / 200 0.3ms")
        #expect((first["time"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}/) != nil)
        let metadata = try #require(first["metadata"] as? [String: String])
        #expect(metadata["b"] == "2")
        // What the escaping handler made of it, read back exactly: the
        // quote and backslash survive, the controls and bidi are visible text.
        let escaped = LogText.escape(hostile)
        #expect(metadata["a"] == escaped)
        #expect(objects.last?["message"] as? String == escaped)
        #expect(objects.last?["level"] as? String == "warning")
        #expect(!escaped.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202E}" })
    }
}

extension Thread {
    /// Reads `descriptor` to its end on another thread (a pipe fills up otherwise).
    static func detachNewReader(_ descriptor: Int32) -> PipeReader {
        let reader = PipeReader()
        Thread.detachNewThread {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                guard count > 0 else { break }
                bytes += buffer.prefix(count)
            }
            close(descriptor)
            reader.finish(String(decoding: bytes, as: UTF8.self))
        }
        return reader
    }
}

final class PipeReader: @unchecked Sendable {
    // @unchecked: `text` is written once before `done` is signalled, read after.
    private var text = ""
    private let done = DispatchSemaphore(value: 0)
    func finish(_ text: String) {
        self.text = text
        done.signal()
    }
    func wait() -> String {
        done.wait()
        return text
    }
}
