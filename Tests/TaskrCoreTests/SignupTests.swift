import Foundation
import HTTP
import Testing

@testable import TaskrCore

@Suite("Routes: sign-up")
struct SignupTests {
    @Test func formHasTheFieldsAndAVisitorTokenWithoutASession() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let response = try browser.get("/signup")
        #expect(response.status == .ok)
        for field in [#"name="username""#, #"name="password""#, #"name="_csrf""#, #"action="/signup""#, #"method="post""#] {
            #expect(response.text.contains(field))
        }
        let cookie = try #require(response.headers["Set-Cookie"])
        #expect(cookie.hasPrefix("taskr_visitor="))
        #expect(try test.count("sessions") == 0)
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
        #expect(!cookie.contains("Secure"))
        #expect(Browser.csrf(in: response)?.count == 54)  // expiry and a 256-bit code, base64url
    }

    @Test func signupCreatesTheUserLogsInAndRedirectsHome() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let response = try browser.signup("ann", "correct horse")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        let home = try browser.get("/")
        #expect(home.text.contains("Welcome to Taskr!"))
        #expect(home.text.contains("logged in as <strong>ann</strong>"))
        #expect(home.text.contains(#"href="/integrations/attio/connect""#))
        #expect(home.text.contains(#"<form method="post" action="/logout""#))
        #expect(Browser.csrf(in: home) != nil)
        #expect(try test.count("users") == 1)
        #expect(home.headers["Cache-Control"] == "no-store", "pages with user data and tokens are never cached")
    }

    @Test func signupGivesANewSessionId() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let before = String(repeating: "B", count: 43)  // planted by someone else
        browser.cookies["taskr_session"] = before
        try browser.signup("ann", "correct horse")
        #expect(browser.sessionCookie != nil && browser.sessionCookie != before)
        var stale = test.browser()
        stale.cookies["taskr_session"] = before
        #expect(try stale.get("/").text.contains("You are not logged in"))
    }

    @Test func passwordIsStoredAsArgon2idOnly() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("ann", "a very secret passphrase")
        let hash = try test.database.texts("SELECT password_hash FROM users").first
        #expect(hash?.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$") == true)
        #expect(try test.databaseBytes().range(of: Data("a very secret passphrase".utf8)) == nil)
    }

    @Test(arguments: [
        ("", "correct horse", "Enter a username."),
        ("   ", "correct horse", "Enter a username."),
        (String(repeating: "x", count: 65), "correct horse", "at most 64 characters"),
        ("bad\u{7}name", "correct horse", "printable characters"),
        ("right\u{202E}left", "correct horse", "printable characters"),
        ("zero\u{200B}width", "correct horse", "printable characters"),
        ("ann", "short12", "at least 8 characters"),
        ("ann", String(repeating: "p", count: 1025), "at most 1024 characters"),
        // On the common-password list, whatever the case.
        ("ann", "password1", "too common"),
        ("ann", "QwErTyUiOp", "too common"),
    ])
    func invalidFieldsAre400SayingWhichAndWriteNothing(_ username: String, _ password: String, _ message: String) async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let response = try browser.signup(username, password)
        #expect(response.status == .badRequest)
        #expect(response.text.contains(message))
        #expect(response.text.contains(#"name="_csrf""#), "the form is shown again")
        #expect(try test.count("users") == 0)
    }

    @Test func limitsAreInclusiveAndCountCharacters() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let emoji = String(repeating: "👩‍💻", count: 64)
        #expect(try browser.signup("  \(emoji)  ", "tq8!vmz2").status == .seeOther)
        #expect(try browser.get("/").text.contains("<strong>\(emoji)</strong>"))
    }

    /// Names are stored in NFC and compared in NFC, case-folded: "Åsa"
    /// typed precomposed and decomposed is one account, shown as stored.
    @Test func usernamesAreOneAccountWhateverTheirUnicodeSpelling() async throws {
        let test = try await TestApp()
        let precomposed = "\u{00C5}sa"  // Å
        let decomposed = "A\u{030A}sa"  // A + combining ring
        var first = test.browser()
        #expect(try first.signup(decomposed, "correct horse").status == .seeOther)
        let stored = try test.database.texts("SELECT username FROM users").first
        #expect(stored.map { Array($0.unicodeScalars) } == Array(precomposed.unicodeScalars), "stored in NFC")
        var second = test.browser()
        #expect(try second.signup(precomposed.lowercased(), "correct horse").status == .conflict)
        var login = test.browser()
        #expect(try login.login("\u{00E5}SA", "correct horse").status == .seeOther)
        #expect(bytes(try login.get("/").text, contain: "<strong>\(precomposed)</strong>"))
        // Other scripts are names like any other; hidden characters are not.
        var cyrillic = test.browser()
        #expect(try cyrillic.signup("Анна", "correct horse").status == .seeOther)
        for hidden in ["ann\u{202E}", "a\u{200B}nn", "ann\u{0007}", "\u{E000}ann"] {
            var browser = test.browser()
            let response = try browser.signup(hidden, "correct horse")
            #expect(response.status == .badRequest, "\(hidden.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(response.text.contains("printable characters"))
        }
    }

    @Test func takenUsernameIs409WithALinkAndNoSecondRow() async throws {
        let test = try await TestApp()
        var first = test.browser()
        try first.signup("Ann", "correct horse")
        var second = test.browser()
        let response = try second.signup("ann", "another password")
        #expect(response.status == .conflict)
        #expect(response.text.contains("Username already taken"))
        #expect(response.text.contains(#"href="/login""#))
        #expect(try test.count("users") == 1)
        #expect(try second.get("/").text.contains("You are not logged in"))
    }

    @Test func loggedInVisitorIsSentHome() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        try browser.signup("ann", "correct horse")
        let response = try browser.get("/signup")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
    }

    @Test func hostileUsernameIsShownEscaped() async throws {
        let test = try await TestApp()
        var browser = test.browser()
        let hostile = #"<script>alert("x")</script>&'"# + Hostile.tag
        try browser.signup(hostile, "correct horse")
        let escaped = [(hostile, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;" + Hostile.all[0].escaped)]
        expectEscaped(try browser.get("/").text, escaped)
        expectEscaped(try browser.get("/logout").text, escaped)
    }
}
