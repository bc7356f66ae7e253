/// Text made safe for one log line: no request can forge a line of its own
/// or hide text with bidi controls.
enum LogText {
    /// `value` with control characters, line and paragraph separators, and
    /// invisible format characters (bidi overrides and isolates, zero-width
    /// marks) written as `\u{…}` escapes, newlines and tabs as `\n`, `\r`,
    /// `\t`, and the backslash doubled so an escape cannot be faked.
    static func escape(_ value: String) -> String {
        // Every request logs a line: printable ASCII without a backslash (the
        // usual case) is returned as it is, without a Unicode property lookup.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) { return value }
        guard value.unicodeScalars.contains(where: needsEscape) else { return value }
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 8)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where needsEscape(scalar): escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: true
        default: scalar == "\\"
        }
    }
}
