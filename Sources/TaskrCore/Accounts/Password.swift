import Foundation

/// The password rules of SPEC.md: 8–1024 characters, taken as typed (no
/// trimming: spaces are characters too), and not one of the most common
/// passwords (ASVS 5 V6.2.4).
struct PasswordRules: Sendable {
    static let minimumLength = 8
    static let maximumLength = 1024

    let common: CommonPasswords

    /// - Throws: ``ValidationError`` saying what is wrong.
    func validate(_ password: String) throws(ValidationError) {
        guard password.count >= Self.minimumLength else {
            throw ValidationError("Passwords must be at least \(Self.minimumLength) characters long.")
        }
        guard password.count <= Self.maximumLength else {
            throw ValidationError("Passwords can be at most \(Self.maximumLength) characters long.")
        }
        guard !common.contains(password) else {
            throw ValidationError("This password is too common: it is on a list of passwords that attackers try first. Choose another one.")
        }
    }
}

/// The most common passwords (zxcvbn's list, see
/// `CommonPasswords/SOURCE.md`), lower-cased, in a set: loaded once, each
/// look-up O(1).
struct CommonPasswords: Sendable {
    private let entries: Set<String>
    /// The longest entry, in UTF-8 bytes: a longer password is not on the list.
    private let longest: Int

    /// How many entries were loaded.
    var count: Int { entries.count }

    /// - Parameter text: one password per line. Lines shorter than
    ///   ``PasswordRules/minimumLength`` are skipped: the length rule refuses them anyway.
    init(text: String) {
        entries = Set(text.split(separator: "\n").lazy.filter { $0.count >= PasswordRules.minimumLength }.map { $0.lowercased() })
        longest = entries.lazy.map(\.utf8.count).max() ?? 0
    }

    /// Whether `password`, lower-cased, is on the list.
    func contains(_ password: String) -> Bool {
        // Lower-casing never shortens ASCII; a longer non-ASCII password
        // may shrink, so the bound is generous (four bytes per character).
        password.utf8.count <= 4 * longest && entries.contains(password.lowercased())
    }

    /// The list bundled with TaskrCore, read once per process.
    static let bundled: Result<CommonPasswords, any Error> = Result {
        guard let url = Bundle.module.url(forResource: "CommonPasswords/common-passwords", withExtension: "txt") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "CommonPasswords/common-passwords.txt"])
        }
        return CommonPasswords(text: try String(contentsOf: url, encoding: .utf8))
    }
}
