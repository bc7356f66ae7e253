import Foundation

/// A valid username: 1–64 printable characters after trimming.
///
/// Stored as typed (trimmed, Unicode NFC), and unique by ``key``, its
/// lower-cased form, so "Ann" and "ann" cannot be two people.
struct Username: Sendable, Equatable {
    static let maximumLength = 64

    let display: String
    let key: String

    /// - Throws: ``ValidationError`` saying what is wrong.
    init(validating raw: String) throws(ValidationError) {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
        guard !trimmed.isEmpty else { throw ValidationError("Enter a username.") }
        guard trimmed.count <= Self.maximumLength else {
            throw ValidationError("Usernames can be at most \(Self.maximumLength) characters long.")
        }
        guard trimmed.unicodeScalars.allSatisfy(Self.isPrintable) else {
            throw ValidationError("Usernames can only contain printable characters.")
        }
        display = trimmed
        key = Self.key(for: trimmed)
    }

    /// The lookup key for whatever was typed in a login form, valid or not.
    static func key(for raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping.lowercased()
    }

    /// Not a control, format, separator-line, surrogate, private-use or
    /// unassigned code point: those hide text or fake other names (bidi
    /// overrides, zero-width spaces). The zero-width joiner and non-joiner
    /// are format characters too, but emoji sequences and several scripts
    /// need them.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .format: scalar == "\u{200D}" || scalar == "\u{200C}"
        case .control, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: false
        default: true
        }
    }
}

/// What is wrong with a form field, in words for the visitor.
struct ValidationError: Error, Sendable, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}
