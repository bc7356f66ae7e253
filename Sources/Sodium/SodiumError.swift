/// A libsodium call that failed. Names the operation only: never a
/// password, key or hash.
public struct SodiumError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case failed(operation: String)
        case invalidInput(String)
    }

    private let code: Code

    /// `operation` returned an error (for hashing: usually out of memory).
    public static func failed(_ operation: String) -> SodiumError { SodiumError(code: .failed(operation: operation)) }

    /// The input cannot be processed, e.g. a password too long for the API.
    public static func invalidInput(_ what: String) -> SodiumError { SodiumError(code: .invalidInput(what)) }

    public var description: String {
        switch code {
        case let .failed(operation): "\(operation) failed"
        case let .invalidInput(what): "invalid input: \(what)"
        }
    }
}
