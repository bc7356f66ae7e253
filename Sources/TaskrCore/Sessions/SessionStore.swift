import Foundation

/// Where sessions live. Routes use ``SessionManager``, never this directly.
protocol SessionStore: Sendable {
    /// Saves `session`, deleting the session `replacing` in the same
    /// transaction (the pre-login session at log-in, so its id stops working).
    func insert(_ session: Session, replacing: [UInt8]?) throws
    /// The session and, when it belongs to one, its user: one lookup, as
    /// every request makes it.
    func session(idHash: [UInt8]) throws -> (Session, User)?
    func touch(idHash: [UInt8], at date: Date) throws
    func delete(idHash: [UInt8]) throws
    /// Deletes sessions last seen before `idleBefore` or created before
    /// `createdBefore`; returns how many.
    func deleteExpired(idleBefore: Date, createdBefore: Date) throws -> Int
}
