/// A Taskr account.
public struct User: Sendable, Hashable {
    public let id: Int64
    /// The name as the user typed it (trimmed, NFC): shown on pages, always escaped.
    public let username: String
    /// The Argon2id hash string; never shown or logged.
    let passwordHash: String
}
