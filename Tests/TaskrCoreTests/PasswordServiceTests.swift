import Foundation
import HTTP
import Testing
@testable import TaskrCore

@Suite("Password hashing service")
struct PasswordServiceTests {
    @Test func aHashBeyondTheConcurrencyLimitWaitsThenGets503() throws {
        let service = try PasswordService(concurrentHashes: 1, permitWait: .milliseconds(100))
        // Hold the only permit, as a running hash would; the next one cannot start.
        try service.withPermit {
            do {
                _ = try service.hash("correct horse")
                Issue.record("a second hash ran while the only permit was taken")
            } catch let error as HTTPError {
                #expect(error.status == .serviceUnavailable)
                #expect(error.headers["Retry-After"] == "5")
            }
        }
        // The permit is back: hashing works again.
        #expect(try service.verify("correct horse", against: try service.hash("correct horse")))
    }

    @Test func unknownUserStillCostsOneVerification() throws {
        let service = try PasswordService(concurrentHashes: 2)
        let before = service.runs.load(ordering: .relaxed)
        #expect(try service.verify("anything", against: nil) == false)
        #expect(service.runs.load(ordering: .relaxed) == before + 1)
    }
}
