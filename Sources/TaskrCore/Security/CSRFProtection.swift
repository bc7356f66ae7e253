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
    static func checkOrigin(_ request: Request) throws(HTTPError) {
        if request.headers["Sec-Fetch-Site"]?.lowercased() == "cross-site" { throw forbidden }
        guard let origin = request.headers["Origin"] else { return }
        guard let originHost = URLComponents(string: origin)?.host?.lowercased(), !originHost.isEmpty,
            let host = request.headers["Host"].map(hostWithoutPort), originHost == host
        else { throw forbidden }
    }

    /// Refuses a form whose `_csrf` is not this session's token.
    static func checkToken(_ form: Parameters, session: Session?) throws(HTTPError) {
        guard let session, let sent = form[fieldName], ConstantTime.equals(sent, session.csrfToken) else {
            throw forbidden
        }
    }

    /// `example.com:3050` → `example.com`, `[::1]:3050` → `::1`, lower-cased.
    private static func hostWithoutPort(_ host: String) -> String {
        let host = host.lowercased()
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<end])
        }
        return String(host.split(separator: ":", maxSplits: 1).first ?? "")
    }
}
