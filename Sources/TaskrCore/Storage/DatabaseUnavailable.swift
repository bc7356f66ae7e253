/// The database cannot be reached right now (PostgreSQL down, restarting or
/// out of connections). Requests get a 503 page; the next request tries
/// again on a new connection. Says which operation, never a value.
public struct DatabaseUnavailable: Error, Sendable, CustomStringConvertible {
    /// What failed, without values: "PostgreSQL connection failed: …".
    public let reason: String

    public var description: String { "database unavailable (\(reason))" }
}
