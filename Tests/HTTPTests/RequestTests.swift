import Testing

@testable import HTTP

@Suite("Requests")
struct RequestTests {
    @Test func splitsAndDecodesPathAndQuery() throws {
        let request = try Request(method: .get, target: "/caf%C3%A9/x?state=a%2Fb&code=1+2")
        #expect(request.path == "/café/x")
        #expect(request.query["state"] == "a/b")
        #expect(request.query["code"] == "1 2")
    }

    @Test func pathWithoutQueryHasEmptyQuery() throws {
        let request = try Request(method: .get, target: "/")
        #expect(request.path == "/")
        #expect(request.query.isEmpty)
    }

    @Test(arguments: ["/%zz", "/%FF", "/?q=%E2%82", "/a%00b", "", "relative", "http://example.com/"])
    func badTargetIsBadRequest(_ target: String) {
        let error = #expect(throws: HTTPError.self) { try Request(method: .get, target: target) }
        #expect(error?.status == .badRequest)
    }

    @Test func cookiesComeFromTheCookieHeader() throws {
        let request = try Request(method: .get, target: "/", headers: ["cookie": "a=1; taskr_session=abc; a=2"])
        #expect(request.cookies["taskr_session"] == "abc")
        #expect(request.cookies["a"] == "1")
    }
}

@Suite("Cookies")
struct CookieTests {
    @Test func parsesPairsAndIgnoresJunk() {
        let cookies = Cookies(header: " x = 1 ;bad; =nameless; y=\"quoted\"; z=a=b")
        #expect(cookies["x"] == "1")
        #expect(cookies["y"] == "quoted")
        #expect(cookies["z"] == "a=b")
        #expect(cookies["bad"] == nil)
        #expect(cookies[""] == nil)
    }

    @Test func noHeaderMeansNoCookies() {
        #expect(Cookies(header: nil)["taskr_session"] == nil)
    }

    /// As browsers read the header: a `;` or a space with a combining mark
    /// after it is one Swift Character, but still a separator on the wire.
    @Test func cookiesAreSplitOnBytesNotCharacters() {
        let cookies = Cookies(header: "a=1;\u{0301}taskr_session=x; b=2 \u{0301}; c=3")
        #expect(cookies["a"] == "1")
        #expect(cookies["\u{0301}taskr_session"] == "x")
        #expect(cookies["taskr_session"] == nil)
        #expect(cookies["b"] == "2 \u{0301}")
        #expect(cookies["c"] == "3")
        #expect(cookies.count == 4)
    }

    @Test func setCookieCarriesEveryAttribute() {
        let cookie = SetCookie(name: "taskr_session", value: "v", secure: true)
        #expect(cookie.headerValue == "taskr_session=v; Path=/; Secure; HttpOnly; SameSite=Lax")
    }

    @Test func expiringCookieIsEmptyAndInThePast() {
        let header = SetCookie.expiring("taskr_session", secure: false).headerValue
        #expect(header == "taskr_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax")
    }
}

@Suite("Headers")
struct HeadersTests {
    @Test func namesAreCaseInsensitiveAndRepeatsKept() {
        var headers: Headers = ["Content-Type": "text/html"]
        headers.add("Set-Cookie", "a=1")
        headers.add("set-cookie", "b=2")
        #expect(headers["content-type"] == "text/html")
        #expect(headers.values("SET-COOKIE") == ["a=1", "b=2"])
        headers["CONTENT-TYPE"] = "text/plain"
        #expect(headers.values("Content-Type") == ["text/plain"])
        headers["Set-Cookie"] = nil
        #expect(headers.values("Set-Cookie").isEmpty)
    }
}
