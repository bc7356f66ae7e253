/// Where Taskr keeps its data (`TASKR_DATABASE`): a SQLite file on this
/// host, or a PostgreSQL server that several hosts share.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file path.
    case sqlite(path: String)
    /// A libpq connection URI (`postgresql://…` or `postgres://…`).
    case postgres(uri: String)

    /// A `postgresql://` or `postgres://` URI is PostgreSQL; anything else
    /// is a SQLite path.
    public init(_ text: String) {
        let lowered = text.lowercased()
        self = lowered.hasPrefix("postgresql://") || lowered.hasPrefix("postgres://") ? .postgres(uri: text) : .sqlite(path: text)
    }

    public var isPostgres: Bool {
        if case .postgres = self { return true }
        return false
    }

    /// Where a SQLite site keeps the key it generated when
    /// `TASKR_SECRET_KEY` is not set; nil for PostgreSQL, whose hosts must
    /// all be given the same key.
    public var keyFilePath: String? {
        if case let .sqlite(path) = self { return SecretKeyFile.path(forDatabase: path) }
        return nil
    }

    /// For logs and command output: the path, or the PostgreSQL options as
    /// libpq reads them (`host=db port=5432 dbname=taskr user=taskr
    /// password=***`): libpq's parser says what the password is, never a
    /// hand-written one.
    public var description: String {
        switch self {
        case let .sqlite(path): path
        case let .postgres(uri): PostgresDatabase.redacted(conninfo: uri)
        }
    }
}
