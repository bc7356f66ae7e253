import Foundation

/// A live session as a page sees it: the session, its user, and the user's
/// Attio connection if there is one, read together.
struct SessionRecord: Sendable {
    var session: Session
    let user: User
    let attio: AttioConnection?
    /// The connection's task copy (its state, not its sealed bytes).
    let taskCopy: TaskCopyState?
}

/// Where sessions live. Routes use ``SessionManager``, never this directly.
protocol SessionStore: Sendable {
    /// Saves `session`, deleting the session `replacing` in the same
    /// transaction (the session the browser held at sign-up or log-in, so
    /// its id stops working), in one statement that inserts only while the
    /// user's password hash is still `credential`. Returns false, and saves
    /// nothing, when it is not (the password changed after it was checked).
    func insert(_ session: Session, replacing: [UInt8]?, credential: String) throws -> Bool
    /// The session with everything a page needs about its visitor (the
    /// user, the Attio connection): one query, as every request makes it.
    func session(idHash: [UInt8]) throws -> SessionRecord?
    func touch(idHash: [UInt8], at date: Date) throws
    func delete(idHash: [UInt8]) throws
    /// The user's sessions, most recently used first (expired ones too:
    /// the caller knows the policy).
    func sessions(userID: Int64) throws -> [Session]
    /// Ends every session of the user but `keeping`; returns how many.
    func deleteAll(userID: Int64, keeping: [UInt8]) throws -> Int
    /// Deletes sessions last seen before `idleBefore` or created before
    /// `createdBefore`; returns how many.
    func deleteExpired(idleBefore: Date, createdBefore: Date) throws -> Int
}
