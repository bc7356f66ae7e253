import Foundation
import HTTP
import Testing

@testable import TaskrCore

/// Whether `needle`'s UTF-8 bytes stand anywhere in `haystack`'s: what a
/// browser reads. `String.contains` compares Characters, and cannot see a
/// `<` that a neighbouring combining mark or Prepend character fused into
/// one Character with it.
func bytes(_ haystack: String, contain needle: String) -> Bool {
    let haystack = Array(haystack.utf8)
    let needle = Array(needle.utf8)
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { start in
        haystack[start..<(start + needle.count)].elementsEqual(needle)
    }
}

/// Text that joins a markup character into one Character with a neighbour:
/// a Prepend character before `<` (U+0D4E, U+0600), a combining acute
/// accent after `"`, `'` and `&` (U+0301).
enum Hostile {
    static let tag = "\u{0D4E}<b>x</b>"
    static let arabicTag = "\u{0600}<img src=x onerror=alert(1)>"
    static let quote = "\"\u{0301} autofocus onfocus=alert(1) x=\"\u{0301}"
    static let apostrophe = "'\u{0301}"
    static let ampersand = "&\u{0301}amp;"

    /// Every hostile text, and what each must become on the page.
    static let all: [(raw: String, escaped: String)] = [
        (tag, "\u{0D4E}&lt;b&gt;x&lt;/b&gt;"),
        (arabicTag, "\u{0600}&lt;img src=x onerror=alert(1)&gt;"),
        (quote, "&quot;\u{0301} autofocus onfocus=alert(1) x=&quot;\u{0301}"),
        (apostrophe, "&#39;\u{0301}"),
        (ampersand, "&amp;\u{0301}amp;"),
    ]

    /// JSON string literal for `text`.
    static func json(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}

/// Expects every hostile text to stand escaped in `html`, and none raw.
func expectEscaped(_ html: String, _ texts: [(raw: String, escaped: String)] = Hostile.all, sourceLocation: SourceLocation = #_sourceLocation) {
    for (raw, escaped) in texts {
        #expect(!bytes(html, contain: raw), "raw \(raw.debugDescription) reached the page", sourceLocation: sourceLocation)
        #expect(bytes(html, contain: escaped), "\(escaped.debugDescription) missing", sourceLocation: sourceLocation)
    }
}

@Suite("Output: HTML escaping per byte")
struct EscapingTests {
    @Test func escapingWorksOnBytesNotCharacters() {
        for (raw, escaped) in Hostile.all {
            // The bug this guards against: one Character, so a per-Character table misses it.
            #expect(raw.contains { $0.unicodeScalars.count > 1 })
            #expect(ScalarHTMLEscaping.escape(raw) == escaped)
        }
        #expect(ScalarHTMLEscaping.escape("plain text, é and 日本") == "plain text, é and 日本")
    }

    @Test func hostileTaskTextStaysText() async throws {
        let test = try await TestApp()
        let tasks = Hostile.all.enumerated().map { index, text in
            #"{"id":{"workspace_id":"ws-1","task_id":"t-\#(index)"},"content_plaintext":\#(Hostile.json(text.raw)),"deadline_at":null,"is_completed":false,"linked_records":[],"assignees":[],"created_by_actor":{"type":"system","id":null},"created_at":"2026-11-02T10:00:00.000000000Z"}"#
        }
        test.attio.setTasks(#"{"data":[\#(tasks.joined(separator: ","))]}"#)
        var browser = try loggedIn(test)
        try connect(&browser)
        let html = try browser.get("/").text
        expectEscaped(html)
        #expect(html.components(separatedBy: "</li>").count - 1 == Hostile.all.count)
    }

    @Test func hostileWorkspaceAndMemberNamesStayText() async throws {
        let test = try await TestApp()
        test.attio.setSelf(#"{"active":true,"workspace_id":"ws-1","workspace_name":\#(Hostile.json(Hostile.tag)),"workspace_slug":"acme"}"#)
        test.attio.setMembers(
            #"{"data":[{"id":{"workspace_id":"ws-1","workspace_member_id":"m-1"},"first_name":\#(Hostile.json(Hostile.quote)),"last_name":\#(Hostile.json(Hostile.arabicTag)),"email_address":"ada@example.com"}]}"#
        )
        var browser = try loggedIn(test)
        try connect(&browser)
        let html = try browser.get("/").text
        expectEscaped(html, [Hostile.all[0], Hostile.all[1], Hostile.all[2]])
    }

    @Test func hostileUsernameStaysTextOnPagesAndInFormValues() async throws {
        let test = try await TestApp()
        let name = Hostile.quote + Hostile.tag
        let escaped = [(Hostile.quote + Hostile.tag, Hostile.all[2].escaped + Hostile.all[0].escaped)]
        var browser = test.browser()
        #expect(try browser.signup(name, "correct horse").status == .seeOther)
        expectEscaped(try browser.get("/").text, escaped)
        expectEscaped(try browser.get("/logout").text, escaped)
        // Echoed into `value="…"` of the forms after a failure.
        var stranger = test.browser()
        let failed = try stranger.login(name, "wrong password")
        #expect(failed.status == .unauthorized)
        expectEscaped(failed.text, escaped)
        let taken = try stranger.signup(name, "correct horse")
        #expect(taken.status == .conflict)
        expectEscaped(taken.text, escaped)
    }

    @Test func everyTemplateEscapesPerByte() async throws {
        // A template added later gets the same escaping: render each with a
        // hostile value under every name it might read.
        let views = try await Views.bundled()
        let hostile = Hostile.tag
        let values: [String: Any] = [
            "reason": hostile, "message": hostile, "username": hostile, "csrf": hostile, "error": hostile,
            "missing": [hostile], "status": hostile,
        ]
        #expect(views.templateNames.count >= 8)
        var showingTheValue = 0
        for name in views.templateNames {
            let html = views.render(name, values)
            #expect(!bytes(html, contain: hostile), "\(name) let the raw tag through")
            if bytes(html, contain: Hostile.all[0].escaped) { showingTheValue += 1 }
        }
        // All but the layout and home (which reads a `user` object) show it.
        #expect(showingTheValue == views.templateNames.count - 2)
    }
}
