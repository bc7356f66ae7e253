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
}
