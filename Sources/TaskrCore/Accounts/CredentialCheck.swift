import Foundation
import HTTP

/// Checks a password the way log-in does, for log-in and for the account
/// page's steps that ask for it again (change password, delete account): a
/// wrong one counts as a failed log-in wherever it was typed.
///
/// Through the throttle first (a locked pair or address gets no check; the
/// name-wide delay is waited out), then one Argon2 verification whether the
/// account exists or not, and a success forgiven in the throttle.
struct CredentialCheck: Sendable {
    enum Outcome: Sendable, Equatable {
        case verified(User)
        case wrong
        /// Locked by the throttle: try again after this many seconds.
        case locked(retryAfter: Int, byAddress: Bool)
    }

    let users: any UserStore
    let passwords: PasswordService
    let throttle: LoginThrottle
    let pacer: LoginPacer
    let clock: any WallClock
    let securityLog: SecurityLog

    /// - Parameter step: what the password was typed for, for the security log.
    /// - Throws: ``Application/busy`` when too many attempts already wait
    ///   out their delay; ``PasswordQueueFull``; database errors.
    func check(usernameKey key: String, password: String, request: Request, step: String) throws -> Outcome {
        let attempt: LoginThrottle.Attempt
        switch try throttle.admit(usernameKey: key, address: request.remoteAddress, now: clock.now()) {
        case let .refused(wait, byAddress):
            securityLog.lockedLogin(usernameKey: key, request: request, seconds: wait, byAddress: byAddress)
            return .locked(retryAfter: wait, byAddress: byAddress)
        case let .admitted(admitted):
            attempt = admitted
        }
        // Counted before the check, so parallel attempts cannot each get a
        // guess; taken back on every way out that never judged the password
        // (capacity, a database error), and only a refusal for capacity is
        // a security event.
        let found: User?
        let matches: Bool
        do {
            guard pacer.pause(attempt.delay) else { throw Application.busy }
            found = try users.user(usernameKey: key)
            matches = try passwords.verify(password, against: found?.passwordHash)
        } catch {
            // Best effort: with the database gone, the original error is the one to tell.
            try? throttle.withdrawn(attempt)
            if error is PasswordQueueFull || error as? HTTPError == Application.busy {
                securityLog.busyLogin(
                    usernameKey: key, request: request, reason: "the password or delay queue is full (\(step)); not counted as a failure")
            }
            throw error
        }
        guard matches, let user = found else {
            securityLog.failedLogin(usernameKey: key, userID: found?.id, request: request, reason: "wrong password (\(step))")
            return .wrong
        }
        try throttle.succeeded(attempt, now: clock.now())
        return .verified(user)
    }
}
