import Testing

@testable import HTTP

@Suite("Form bodies")
struct FormTests {
    private func post(_ body: String, contentType: String?) throws -> Request {
        var headers = Headers()
        if let contentType { headers["Content-Type"] = contentType }
        return try Request(method: .post, target: "/signup", headers: headers, body: Array(body.utf8))
    }

    @Test(arguments: [
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        " application/x-www-form-urlencoded ;charset=utf-8",
    ])
    func acceptsTheFormMediaType(_ contentType: String) throws {
        #expect(try post("username=ann", contentType: contentType).form()["username"] == "ann")
    }

    @Test(arguments: ["application/json", "multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencodedx"])
    func otherMediaTypesAreUnsupported(_ contentType: String) throws {
        let request = try post("username=ann", contentType: contentType)
        #expect(throws: HTTPError.unsupportedMediaType(expected: "application/x-www-form-urlencoded")) {
            try request.form()
        }
    }

    @Test func bodyWithoutContentTypeIsUnsupported() throws {
        let request = try post("username=ann", contentType: nil)
        let error = #expect(throws: HTTPError.self) { try request.form() }
        #expect(error?.status == .unsupportedMediaType)
    }

    @Test func emptyBodyWithoutContentTypeIsAnEmptyForm() throws {
        #expect(try post("", contentType: nil).form().isEmpty)
    }

    @Test func malformedFormIsBadRequest() throws {
        let request = try post("username=%E2%28", contentType: "application/x-www-form-urlencoded")
        #expect(throws: HTTPError.badRequest("The request is not valid UTF-8.")) { try request.form() }
    }
}
