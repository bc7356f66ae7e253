import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which TCP peers may speak FastCGI to us: `FCGI_WEB_SERVER_ADDRS`, checked
/// in Swift after every accept.
///
/// libfcgi 2.4.2 checks only `AF_INET` peers, so on an IPv6 or dual-stack
/// socket every peer got through. Here an entry is an IPv4 or IPv6 address,
/// optionally with a CIDR prefix (`10.0.0.0/8`, `fd00::/8`), separated by
/// commas; a v4-mapped address (`::ffff:127.0.0.1`, what a dual-stack socket
/// reports for an IPv4 peer) is compared as the IPv4 address it stands for.
/// Unix-socket peers have no address: the socket file's mode decides who
/// may connect.
public struct PeerFilter: Sendable, Equatable, CustomStringConvertible {
    /// One entry: 16 bytes (IPv4 as v4-mapped) and how many leading bits count.
    struct Network: Sendable, Equatable {
        let bytes: [UInt8]
        let prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            var bits = prefixLength
            for index in 0..<16 where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                guard address[index] & mask == bytes[index] & mask else { return false }
                bits -= 8
            }
            return true
        }
    }

    let networks: [Network]
    public let description: String

    /// Parses a comma-separated list such as `127.0.0.1, ::1, 10.0.0.0/8`.
    /// - Throws: ``FastCGIError`` naming the first entry that is not an
    ///   address or prefix: a typo must not silently admit everyone.
    public init(parsing text: String) throws(FastCGIError) {
        var networks: [Network] = []
        for entry in text.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let network = Self.network(trimmed) else { throw .invalidPeerAddress(trimmed) }
            networks.append(network)
        }
        guard !networks.isEmpty else { throw .invalidPeerAddress(text) }
        self.networks = networks
        self.description = text
    }

    /// The filter `FCGI_WEB_SERVER_ADDRS` asks for; nil (every peer may
    /// connect, as in libfcgi) when it is unset or empty.
    public static func fromEnvironment(_ environment: [String: String]) throws(FastCGIError) -> PeerFilter? {
        guard let text = environment["FCGI_WEB_SERVER_ADDRS"], !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return try PeerFilter(parsing: text)
    }

    /// Whether a peer at `address` may speak to us; unix peers always may.
    func admits(_ address: sockaddr_storage) -> Bool {
        guard let bytes = Self.bytes(of: address) else { return address.ss_family == sa_family_t(AF_UNIX) }
        return networks.contains { $0.contains(bytes) }
    }

    /// An IP peer's address as 16 bytes (IPv4 v4-mapped); nil for others.
    static func bytes(of address: sockaddr_storage) -> [UInt8]? {
        var address = address
        switch Int32(address.ss_family) {
        case AF_INET:
            let ipv4 = withUnsafeBytes(of: &address) { $0.load(as: sockaddr_in.self) }
            return mappedPrefix + withUnsafeBytes(of: ipv4.sin_addr) { Array($0) }
        case AF_INET6:
            let ipv6 = withUnsafeBytes(of: &address) { $0.load(as: sockaddr_in6.self) }
            return withUnsafeBytes(of: ipv6.sin6_addr) { Array($0) }
        default:
            return nil
        }
    }

    /// A peer's address as text, for the log line that says it was refused.
    static func describe(_ address: sockaddr_storage) -> String {
        guard var bytes = bytes(of: address) else { return "a non-IP peer" }
        let isMapped = bytes.prefix(12).elementsEqual(mappedPrefix)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if isMapped {
            bytes.removeFirst(12)
            inet_ntop(AF_INET, bytes, &text, socklen_t(text.count))
        } else {
            inet_ntop(AF_INET6, bytes, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    private static func network(_ entry: String) -> Network? {
        let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let host = String(parts[0])
        var bytes = [UInt8](repeating: 0, count: 16)
        let maximum: Int
        let offset: Int
        var ipv4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, host, &ipv4) == 1 {
            bytes = mappedPrefix + ipv4
            (maximum, offset) = (32, 96)
        } else if inet_pton(AF_INET6, host, &bytes) == 1 {
            // A v4-mapped entry counts as the IPv4 address it stands for.
            (maximum, offset) = (128, 0)
        } else {
            return nil
        }
        guard parts.count == 2 else { return Network(bytes: bytes, prefixLength: offset + maximum) }
        guard let length = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), (0...maximum).contains(length) else { return nil }
        return Network(bytes: bytes, prefixLength: offset + length)
    }
}
