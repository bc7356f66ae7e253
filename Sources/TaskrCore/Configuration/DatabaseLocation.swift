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

    /// For logs and command output: the path, or the URI with any password
    /// (in the user part or as `password=`) replaced by `***`.
    public var description: String {
        switch self {
        case let .sqlite(path): path
        case let .postgres(uri): Self.redacted(uri)
        }
    }

    private static func redacted(_ uri: String) -> String {
        guard let schemeEnd = uri.range(of: "://") else { return uri }
        var rest = Substring(uri[schemeEnd.upperBound...])
        var result = String(uri[..<schemeEnd.upperBound])
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at]
            result += user.contains(":") ? user.prefix { $0 != ":" } + ":***" : String(user)
            result += authority[at...]
        } else {
            result += authority
        }
        rest = rest[authorityEnd...]
        guard let query = rest.firstIndex(of: "?") else { return result + rest }
        result += rest[...query]
        result += rest[rest.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
            pair.lowercased().hasPrefix("password=") ? "password=***" : String(pair)
        }.joined(separator: "&")
        return result
    }
}
