/// An HTTP response status: the code and its reason phrase.
///
/// A struct rather than an enum so that any code can be expressed, with the
/// ones Taskr uses as named constants.
public struct Status: Sendable, Hashable, CustomStringConvertible {
    public let code: Int
    public let reasonPhrase: String

    public init(code: Int, reasonPhrase: String) {
        self.code = code
        self.reasonPhrase = reasonPhrase
    }

    public var description: String { "\(code) \(reasonPhrase)" }

    public static let ok = Status(code: 200, reasonPhrase: "OK")
    public static let found = Status(code: 302, reasonPhrase: "Found")
    public static let seeOther = Status(code: 303, reasonPhrase: "See Other")
    public static let badRequest = Status(code: 400, reasonPhrase: "Bad Request")
    public static let unauthorized = Status(code: 401, reasonPhrase: "Unauthorized")
    public static let forbidden = Status(code: 403, reasonPhrase: "Forbidden")
    public static let notFound = Status(code: 404, reasonPhrase: "Not Found")
    public static let methodNotAllowed = Status(code: 405, reasonPhrase: "Method Not Allowed")
    public static let conflict = Status(code: 409, reasonPhrase: "Conflict")
    public static let contentTooLarge = Status(code: 413, reasonPhrase: "Content Too Large")
    public static let unsupportedMediaType = Status(code: 415, reasonPhrase: "Unsupported Media Type")
    public static let tooManyRequests = Status(code: 429, reasonPhrase: "Too Many Requests")
    public static let internalServerError = Status(code: 500, reasonPhrase: "Internal Server Error")
    public static let badGateway = Status(code: 502, reasonPhrase: "Bad Gateway")
    public static let serviceUnavailable = Status(code: 503, reasonPhrase: "Service Unavailable")
}
