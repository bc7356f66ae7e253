/// The password rules of SPEC.md: 8–1024 characters, taken as typed (no
/// trimming: spaces are characters too).
enum Password {
    static let minimumLength = 8
    static let maximumLength = 1024

    /// - Throws: ``ValidationError`` saying what is wrong.
    static func validate(_ password: String) throws(ValidationError) {
        guard password.count >= minimumLength else {
            throw ValidationError("Passwords must be at least \(minimumLength) characters long.")
        }
        guard password.count <= maximumLength else {
            throw ValidationError("Passwords can be at most \(maximumLength) characters long.")
        }
    }
}
