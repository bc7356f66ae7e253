#if canImport(Glibc)
    import Glibc
#endif

/// Where `taskr serve` accepts FastCGI connections.
public enum ListenTarget: Sendable, Equatable, CustomStringConvertible {
    /// A listening socket handed over by the parent: fd 0 from `spawn-fcgi`.
    case inherited(fd: Int32)
    /// The socket systemd passes (socket activation: fd 3). systemd keeps
    /// it open across restarts, so connections queued on it outlive this
    /// process and wait for the next one.
    case activated(fd: Int32)
    /// A unix socket at `path`, created with `mode`.
    case unix(path: String, mode: UInt32)
    /// A TCP socket on `host:port` (IPv4 or IPv6).
    case tcp(host: String, port: UInt16)

    public var description: String {
        switch self {
        case let .inherited(fd): "inherited socket (fd \(fd))"
        case let .activated(fd): "systemd's socket (fd \(fd))"
        case let .unix(path, _): "unix:\(path)"
        case let .tcp(host, port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// The socket the process inherited, if any: systemd's (`LISTEN_PID`
    /// names this process and `LISTEN_FDS` ≥ 1: fd 3), else fd 0 when it is
    /// a listening socket, as `spawn-fcgi` leaves it.
    public static func inherited(environment: [String: String]) -> ListenTarget? {
        if let pid = environment["LISTEN_PID"].flatMap(pid_t.init), pid == getpid(),
            let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1
        {
            return .activated(fd: 3)  // SD_LISTEN_FDS_START
        }
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting == 1 {
            return .inherited(fd: 0)
        }
        return nil
    }

    /// Whether the socket stays open when this process exits (systemd's):
    /// then a stopping process leaves what is queued on it to the next one.
    public var outlivesProcess: Bool {
        if case .activated = self { return true }
        return false
    }

    /// Whether only this machine can connect: a unix or inherited socket, or
    /// TCP on a loopback address (`localhost`, 127.0.0.0/8, `::1`).
    public var isLocalOnly: Bool {
        guard case let .tcp(host, _) = self else { return true }
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { $0.prefix(15).allSatisfy { $0 == 0 } && $0[15] == 1 }
    }

    /// Parses `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:9000`).
    public static func tcp(parsing address: String) throws(FastCGIError) -> ListenTarget {
        guard let colon = address.lastIndex(of: ":"),
            let port = UInt16(address[address.index(after: colon)...]), port > 0
        else { throw .invalidAddress(address) }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else { throw .invalidAddress(address) }
        return .tcp(host: host, port: port)
    }
}
