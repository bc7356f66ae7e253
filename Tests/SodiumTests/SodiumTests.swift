import Foundation
import Testing

@testable import Sodium

@Suite("Password hashing")
struct PasswordHasherTests {
    /// RFC 4231's test cases 1, 2 and 6 (a key longer than the block).
    @Test func hmacSHA256MatchesRFC4231() {
        #expect(
            Hex.encode(HMACSHA256.authenticate(Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            Hex.encode(HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            Hex.encode(
                HMACSHA256.authenticate(
                    Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), key: [UInt8](repeating: 0xaa, count: 131)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(HMACSHA256.authenticate([], key: []).count == 32)
    }

    @Test func hashIsArgon2idWithOWASPParametersAndVerifies() throws {
        let hash = try PasswordHasher.owasp.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(PasswordHasher.owasp.verify("correct horse battery staple", against: hash))
        #expect(!PasswordHasher.owasp.verify("correct horse battery stapler", against: hash))
        #expect(!PasswordHasher.owasp.needsRehash(hash))
    }

    @Test func samePasswordGetsADifferentSalt() throws {
        #expect(try PasswordHasher.owasp.hash("pässwörd ✓") != PasswordHasher.owasp.hash("pässwörd ✓"))
    }

    @Test func hashFromWeakerParametersStillVerifiesAndNeedsRehash() throws {
        let weak = PasswordHasher(operationsLimit: 1, memoryLimit: 8 * 1024 * 1024)
        let hash = try weak.hash("hunter2hunter2")
        #expect(PasswordHasher.owasp.verify("hunter2hunter2", against: hash))
        #expect(PasswordHasher.owasp.needsRehash(hash))
    }

    /// The unknown-username dummy: made without running Argon2id, yet a
    /// well-formed hash in the hasher's own parameters (libsodium's
    /// needs-rehash check decodes the whole string, salt and output
    /// lengths included), so verifying against it runs Argon2id at full cost.
    @Test(arguments: [PasswordHasher.owasp, PasswordHasher(operationsLimit: 1, memoryLimit: 8 * 1024 * 1024)])
    func unmatchableHashIsWellFormedInTheHashersParametersAndMatchesNothing(hasher: PasswordHasher) throws {
        let dummy = hasher.unmatchableHash
        let real = try hasher.hash("correct horse battery staple")
        #expect(!hasher.needsRehash(dummy))
        #expect(dummy.utf8.count == real.utf8.count)
        #expect(dummy.utf8.prefix(while: { $0 != UInt8(ascii: "p") }).elementsEqual(real.utf8.prefix(while: { $0 != UInt8(ascii: "p") })))
        for password in ["", "correct horse battery staple", "taskr-dummy-salt"] {
            #expect(!hasher.verify(password, against: dummy))
        }
    }

    @Test func garbageHashNeverVerifies() {
        #expect(!PasswordHasher.owasp.verify("x", against: ""))
        #expect(!PasswordHasher.owasp.verify("x", against: "$argon2id$v=19$garbage"))
        #expect(!PasswordHasher.owasp.verify("x", against: String(repeating: "a", count: 500)))
    }
}

@Suite("Randomness, digests, comparisons")
struct PrimitivesTests {
    @Test func randomBytesHaveTheLengthAndDiffer() {
        let a = SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != SecureRandom.bytes(32))
    }

    @Test func sha256MatchesTheStandardVector() {
        let digest = SHA256.hash(Array("abc".utf8))
        #expect(digest.map { String(format: "%02x", $0) }.joined() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func base64URLHasNoPaddingAndURLSafeAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.encode([0x61]) == "YQ")
        #expect(Base64URL.encode([]) == "")
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals("token-a", "token-a"))
        #expect(!ConstantTime.equals("token-a", "token-b"))
        #expect(!ConstantTime.equals("token", "token-a"))
        #expect(ConstantTime.equals("", ""))
    }
}

@Suite("Sealing with XChaCha20-Poly1305")
struct SecretKeyTests {
    @Test func sealedDataOpensWithTheSameKeyAndAssociatedData() throws {
        let key = SecretKey.generate()
        let sealed = key.seal(Array("token-123".utf8), associatedData: Array("user:1".utf8))
        #expect(sealed.count == 24 + 9 + 16)
        #expect(try key.open(sealed, associatedData: Array("user:1".utf8)) == Array("token-123".utf8))
        #expect(sealed.firstRange(of: Array("token-123".utf8)) == nil)
    }

    @Test func eachSealUsesAFreshNonce() {
        let key = SecretKey.generate()
        #expect(key.seal([1, 2, 3], associatedData: []) != key.seal([1, 2, 3], associatedData: []))
    }

    @Test func wrongKeyAssociatedDataOrTamperingFail() throws {
        let key = SecretKey.generate()
        var sealed = key.seal(Array("token".utf8), associatedData: Array("user:1".utf8))
        #expect(throws: SodiumError.self) { try SecretKey.generate().open(sealed, associatedData: Array("user:1".utf8)) }
        #expect(throws: SodiumError.self) { try key.open(sealed, associatedData: Array("user:2".utf8)) }
        sealed[30] ^= 1
        #expect(throws: SodiumError.self) { try key.open(sealed, associatedData: Array("user:1".utf8)) }
        #expect(throws: SodiumError.self) { try key.open([1, 2, 3], associatedData: []) }
    }

    @Test func keyIdIsStableAndTheDescriptionHidesTheKey() throws {
        let bytes = [UInt8](repeating: 7, count: 32)
        let key = try SecretKey(bytes: bytes)
        #expect(key.id == (try SecretKey(bytes: bytes)).id)
        #expect(key.id.count == 16)
        // Stored beside every sealed token: the same key must keep the same id
        // (the first 8 bytes of SHA-256("taskr key id" ‖ key), lower-case hex).
        #expect(try SecretKey(bytes: [UInt8](repeating: 0xAB, count: 32)).id == "4e470e6687ee1d0c")
        #expect(key.id != SecretKey.generate().id)
        #expect(!String(describing: key).contains(key.base64URL))
        #expect(throws: SodiumError.self) { try SecretKey(bytes: [1, 2, 3]) }
    }
}
