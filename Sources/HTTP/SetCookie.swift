/// A `Set-Cookie` response header (RFC 6265 §4.1).
public struct SetCookie: Sendable, Equatable {
    public enum SameSite: String, Sendable {
        case strict = "Strict"
        case lax = "Lax"
        case none = "None"
    }

    public var name: String
    public var value: String
    public var path: String? = "/"
    /// Seconds until the browser drops the cookie; 0 expires it now. Nil
    /// makes a session cookie.
    public var maxAge: Int?
    public var secure = false
    public var httpOnly = true
    public var sameSite: SameSite? = .lax

    public init(
        name: String, value: String, path: String? = "/", maxAge: Int? = nil,
        secure: Bool = false, httpOnly: Bool = true, sameSite: SameSite? = .lax
    ) {
        self.name = name
        self.value = value
        self.path = path
        self.maxAge = maxAge
        self.secure = secure
        self.httpOnly = httpOnly
        self.sameSite = sameSite
    }

    /// A cookie that tells the browser to delete `name` at once.
    public static func expiring(_ name: String, secure: Bool) -> SetCookie {
        // Expires in the past as well as Max-Age=0: old user agents ignore Max-Age.
        SetCookie(name: name, value: "", maxAge: 0, secure: secure)
    }

    /// The header value, attributes in a stable order.
    public var headerValue: String {
        var parts = ["\(name)=\(value)"]
        if let path { parts.append("Path=\(path)") }
        if let maxAge {
            parts.append("Max-Age=\(maxAge)")
            if maxAge <= 0 { parts.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT") }
        }
        if secure { parts.append("Secure") }
        if httpOnly { parts.append("HttpOnly") }
        if let sameSite { parts.append("SameSite=\(sameSite.rawValue)") }
        return parts.joined(separator: "; ")
    }
}
