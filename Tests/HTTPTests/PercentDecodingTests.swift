import Testing

@testable import HTTP

@Suite("Percent-decoding and form bodies")
struct PercentDecodingTests {
    @Test func decodesEscapesAndPlusInForms() throws {
        let form = try Parameters(urlEncoded: Array("username=J%C3%BCrgen+M&password=a%2Bb%3D%26c".utf8))
        #expect(form["username"] == "Jürgen M")
        #expect(form["password"] == "a+b=&c")
    }

    @Test func keepsOrderRepeatsAndEmptyValues() throws {
        let form = try Parameters(urlEncoded: Array("a=1&&b&a=2&c=".utf8))
        #expect(form.values("a") == ["1", "2"])
        #expect(form["b"] == "")
        #expect(form["c"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func plusIsLiteralInPaths() throws {
        #expect(try PercentDecoding.decode(Array("/a+b%20c".utf8), plusIsSpace: false) == "/a+b c")
    }

    @Test(arguments: ["%", "%4", "%zz", "a=%G1", "x=%%", "%2"])
    func malformedEscapeIsBadRequest(_ input: String) {
        #expect(throws: HTTPError.badRequest("The request contains malformed percent-encoding.")) {
            try Parameters(urlEncoded: Array(input.utf8))
        }
    }

    @Test(arguments: ["%FF", "%C3%28", "%ED%A0%80", "a=%C3"])
    func invalidUTF8IsBadRequest(_ input: String) {
        #expect(throws: HTTPError.badRequest("The request is not valid UTF-8.")) {
            try Parameters(urlEncoded: Array(input.utf8))
        }
    }

    @Test func rawInvalidUTF8BytesAreBadRequest() {
        let error = #expect(throws: HTTPError.self) {
            try Parameters(urlEncoded: [UInt8(ascii: "a"), UInt8(ascii: "="), 0xC3, 0x28])
        }
        #expect(error?.status == .badRequest)
    }

    @Test func nulIsBadRequest() {
        let error = #expect(throws: HTTPError.self) { try Parameters(urlEncoded: Array("a=%00".utf8)) }
        #expect(error?.status == .badRequest)
    }
}
