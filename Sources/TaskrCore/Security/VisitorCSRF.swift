import Foundation
import HTTP
import Sodium

/// CSRF tokens for visitors who are not logged in (the sign-up, log-in and
/// log-out forms), kept without a database row: pages for logged-out
/// visitors write nothing.
///
/// The visitor gets a random nonce in the `taskr_visitor` cookie; the form's
/// token is an expiry time and an authentication code, under a key derived
/// from `TASKR_SECRET_KEY`, of that nonce and expiry. A forged form cannot
/// read the cookie, and a token stolen from one browser does not pass with
/// another's cookie. Every host holding the same key checks the same tokens.
struct VisitorCSRF: Sendable {
    static let cookieName = "taskr_visitor"
    /// How long a form shown to a visitor can be sent.
    static let lifetime: TimeInterval = 2 * 3600

    let key: SecretKey
    let clock: any WallClock
    let random: any RandomSource

    /// The token for a form shown to this request's visitor, and the new
    /// nonce the response must set when the visitor has no (well-formed) one yet.
    func issue(for request: Request) -> (token: String, newNonce: String?) {
        var newNonce: String?
        let nonce: String
        if let sent = request.cookies[Self.cookieName], Base64URL.isToken(sent) {
            nonce = sent
        } else {
            nonce = random.token()
            newNonce = nonce
        }
        let expiry = UInt64(max(0, clock.now().addingTimeInterval(Self.lifetime).timeIntervalSince1970))
        let expiryBytes = withUnsafeBytes(of: expiry.bigEndian) { Array($0) }
        return (Base64URL.encode(expiryBytes + key.authenticationCode(message(nonce: nonce, expiry: expiryBytes))), newNonce)
    }

    /// Whether `token` was issued to this request's visitor and has not expired.
    func isValid(_ token: String, for request: Request) -> Bool {
        guard let nonce = request.cookies[Self.cookieName], Base64URL.isToken(nonce),
            let bytes = Base64URL.decode(token), bytes.count == 8 + 32
        else { return false }
        let expiryBytes = Array(bytes.prefix(8))
        let expiry = expiryBytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard Double(expiry) > clock.now().timeIntervalSince1970 else { return false }
        return key.isAuthentic(Array(bytes.suffix(32)), for: message(nonce: nonce, expiry: expiryBytes))
    }

    private func message(nonce: String, expiry: [UInt8]) -> [UInt8] {
        Array("taskr visitor csrf v1\u{0}\(nonce)\u{0}".utf8) + expiry
    }
}
