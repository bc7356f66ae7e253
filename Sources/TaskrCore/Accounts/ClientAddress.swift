import Foundation
import Sodium

/// The client address a throttle counts by: nginx's `REMOTE_ADDR`.
///
/// One host owns a whole IPv6 /64 (SLAAC, privacy addresses), so an IPv6
/// client is counted by its /64; an IPv4 client by its address. Behind a
/// load balancer, nginx's `real_ip` module must set `REMOTE_ADDR` to the
/// client's address (README), or every client counts as the balancer.
enum ClientAddress {
    static func throttleKey(_ address: String?) -> String {
        guard let address, !address.isEmpty else { return "unknown" }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return address }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return "unparsed:\(address.prefix(64))" }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 client.
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return Hex.encode(bytes[0..<8]) + "::/64"
    }
}
