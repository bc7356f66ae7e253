extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (HTTP's
    /// optional whitespace, RFC 9110 §5.6.3).
    func trimmingOptionalWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }),
            let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
