import Foundation
import Sodium

/// Seals Attio access tokens for the database and opens them again, under
/// the current secret key and any previous ones (key rotation).
///
/// The user id is the associated data: a sealed token copied to another
/// user's row does not open. The key id is stored beside the ciphertext, so
/// the right key is picked without trying them all.
struct TokenSealer: Sendable {
    let current: SecretKey
    let previous: [SecretKey]

    /// A token as stored: which key sealed it, and the sealed bytes.
    struct Sealed: Sendable, Equatable {
        let keyID: String
        let bytes: [UInt8]
    }

    /// What a sealed value is for: part of its associated data, so a
    /// sealed token never opens as a task copy, nor the other way round.
    enum Purpose: String, Sendable {
        case token = "attio token"
        case taskCopy = "task copy"
        case webhookSecret = "attio webhook secret"
    }

    func seal(_ token: String, userID: Int64) -> Sealed {
        seal(Array(token.utf8), userID: userID, for: .token)
    }

    func seal(_ bytes: [UInt8], userID: Int64, for purpose: Purpose) -> Sealed {
        Sealed(keyID: current.id, bytes: current.seal(bytes, associatedData: Self.associatedData(userID, purpose)))
    }

    /// Whether one of our keys sealed `sealed` (by its key id). A token under
    /// an unknown key may belong to a key another process or host already
    /// has (a key change rolling out): it is kept, not deleted.
    func knowsKey(of sealed: Sealed) -> Bool {
        current.id == sealed.keyID || previous.contains { $0.id == sealed.keyID }
    }

    /// The token, and whether it was sealed under a previous key (so the
    /// caller re-seals it); nil when no key we have opens it.
    func open(_ sealed: Sealed, userID: Int64) -> (token: String, needsReseal: Bool)? {
        guard let (bytes, needsReseal) = open(sealed, userID: userID, for: .token),
            let token = String(validating: bytes, as: UTF8.self)
        else { return nil }
        return (token, needsReseal)
    }

    /// The bytes sealed for `purpose`, and whether a previous key sealed
    /// them; nil when no key we have opens them.
    func open(_ sealed: Sealed, userID: Int64, for purpose: Purpose) -> (bytes: [UInt8], needsReseal: Bool)? {
        guard let key = ([current] + previous).first(where: { $0.id == sealed.keyID }),
            let bytes = try? key.open(sealed.bytes, associatedData: Self.associatedData(userID, purpose))
        else { return nil }
        return (bytes, key.id != current.id)
    }

    /// `taskr attio token v1 user:7`: the form tokens were sealed with from the start.
    private static func associatedData(_ userID: Int64, _ purpose: Purpose) -> [UInt8] {
        Array("taskr \(purpose.rawValue) v1 user:\(userID)".utf8)
    }
}
