internal import CLibPQ
import Foundation

/// A libpq connection string (`postgresql://…` URI or `key=value` list),
/// read by libpq's own parser (`PQconninfoParse`), never by hand: what is a
/// password, where the authority ends, what an escape means are libpq's to
/// say. Nothing here ever quotes the string itself (libpq's parse errors
/// do, password and all, so they are dropped).
public enum PostgresConnectionString {
    /// The options set in `conninfo`, in libpq's order, each marked when
    /// libpq hides its value (the password); nil when libpq cannot read it.
    public static func options(_ conninfo: String) -> [(keyword: String, value: String, secret: Bool)]? {
        var message: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(conninfo, &message) else {
            // The message quotes the string, password and all: never kept.
            if let message { PQfreemem(message) }
            return nil
        }
        defer { PQconninfoFree(parsed) }
        var options: [(keyword: String, value: String, secret: Bool)] = []
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let display = option.pointee.dispchar.map { String(cString: $0) } ?? ""
                options.append((String(cString: keyword), String(cString: value), display == "*"))
            }
            option += 1
        }
        return options
    }

    /// Whether libpq can read `conninfo`.
    public static func isValid(_ conninfo: String) -> Bool { options(conninfo) != nil }

    /// For logs and command output: the options set, as `key=value` words,
    /// every secret one as `***`; a fixed text when libpq cannot read it.
    public static func redacted(_ conninfo: String) -> String {
        guard let options = options(conninfo) else { return "(a PostgreSQL connection string libpq cannot read)" }
        return options.map { "\($0.keyword)=\($0.secret ? "***" : $0.value)" }.joined(separator: " ")
    }

    /// `text` with every secret value of `conninfo` (the password) replaced
    /// by `***`: for libpq's error messages, which may quote them.
    public static func scrub(_ text: String, of conninfo: String) -> String {
        var scrubbed = text
        for option in options(conninfo) ?? [] where option.secret && !option.value.isEmpty {
            scrubbed = scrubbed.replacingOccurrences(of: option.value, with: "***")
        }
        return scrubbed
    }
}
