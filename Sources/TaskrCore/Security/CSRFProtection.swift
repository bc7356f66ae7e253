import Foundation
import HTTP
import Sodium

/// Cross-site request forgery checks, run on every POST before its handler.
///
/// Two layers: the browser's own signals (`Sec-Fetch-Site`, `Origin`) refuse
/// cross-site posts outright, and the per-session synchronizer token in the
/// form's `_csrf` field, compared in constant time, refuses everything else
/// that did not come from a page we rendered for this session.
enum CSRFProtection {
    static let fieldName = "_csrf"

    static let forbidden = HTTPError(
        .forbidden,
        "This form has expired or was not sent from Taskr. Go back, reload the page and try again.")

    /// Refuses a request a browser marks as cross-site, or whose `Origin`
    /// names another host than the one it was sent to (`Host`; ports are
    /// ignored, as for sites). A request without `Origin` passes on to the
    /// token check.
    ///
    /// Hosts are compared as browsers serialise them: ASCII (an IDN arrives
    /// as punycode in both headers), lower-cased, an IPv6 literal without
    /// its brackets, a trailing dot dropped. Anything else in `Origin`
    /// (non-ASCII, no scheme, `null`) is refused.
    static func checkOrigin(_ request: Request) throws(HTTPError) {
        if request.headers["Sec-Fetch-Site"]?.lowercased() == "cross-site" { throw forbidden }
        guard let origin = request.headers["Origin"] else { return }
        guard let schemeEnd = origin.range(of: "://"),
            let originHost = host(ofAuthority: origin[schemeEnd.upperBound...]),
            let host = request.headers["Host"].flatMap({ host(ofAuthority: Substring($0)) }),
            originHost == host
        else { throw forbidden }
    }

    /// Refuses a form whose `_csrf` is not this session's token or, for a
    /// logged-out visitor, not a live token issued to the visitor's cookie.
    static func checkToken(_ form: Parameters, session: Session?, request: Request, visitor: VisitorCSRF) throws(HTTPError) {
        guard let sent = form[fieldName] else { throw forbidden }
        let valid = session.map { ConstantTime.equals(sent, $0.csrfToken) } ?? visitor.isValid(sent, for: request)
        guard valid else { throw forbidden }
    }

    /// `Example.COM.:3050` → `example.com`, `[::1]:3050` → `::1`; nil for
    /// an empty or non-ASCII host, or one with a path or user part.
    static func host(ofAuthority authority: Substring) -> String? {
        guard authority.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let authority = authority.lowercased()
        var host: Substring
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<end]
            let rest = authority[authority.index(after: end)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            guard parts.count == 1 || parts[1].allSatisfy(\.isNumber) else { return nil }
            if host.hasSuffix(".") { host = host.dropLast() }
        }
        guard !host.isEmpty, !host.contains(where: { "/@?#".contains($0) }) else { return nil }
        return String(host)
    }
}
