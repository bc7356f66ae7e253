#if canImport(Glibc)
    import Glibc
#endif

/// Why the FastCGI layer could not start or keep serving.
///
/// A struct around a private code so new cases do not break callers; the
/// description names the operation and path, never request data.
public struct FastCGIError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case system(operation: String, errno: Int32)
        case socketInUse(path: String)
        case notASocket(path: String)
        case invalidAddress(String)
        case invalidPeerAddress(String)
        case noListener
    }

    private let code: Code

    /// A failed system call, with `errno` turned into its message.
    static func system(_ operation: String, errno: Int32 = Glibc.errno) -> FastCGIError {
        FastCGIError(code: .system(operation: operation, errno: errno))
    }

    /// Another process is accepting on this unix socket path.
    public static func socketInUse(_ path: String) -> FastCGIError {
        FastCGIError(code: .socketInUse(path: path))
    }

    /// Something other than a socket sits at the path we were asked to bind.
    public static func notASocket(_ path: String) -> FastCGIError {
        FastCGIError(code: .notASocket(path: path))
    }

    /// A `--bind` value that is not `HOST:PORT`, or does not resolve.
    public static func invalidAddress(_ address: String) -> FastCGIError {
        FastCGIError(code: .invalidAddress(address))
    }

    /// An `FCGI_WEB_SERVER_ADDRS` entry that is neither an address nor a prefix.
    public static func invalidPeerAddress(_ entry: String) -> FastCGIError {
        FastCGIError(code: .invalidPeerAddress(entry))
    }

    /// No socket to accept on was given or inherited.
    public static let noListener = FastCGIError(code: .noListener)

    public var description: String {
        switch code {
        case let .system(operation, errno):
            "\(operation) failed: \(String(cString: strerror(errno)))"
        case let .socketInUse(path):
            "another process is already listening on \(path)"
        case let .notASocket(path):
            "\(path) exists and is not a socket; refusing to replace it"
        case let .invalidAddress(address):
            "invalid address \"\(address)\": expected HOST:PORT, e.g. 127.0.0.1:9000 or [::1]:9000"
        case let .invalidPeerAddress(entry):
            "FCGI_WEB_SERVER_ADDRS: \"\(entry)\" is not an IPv4 or IPv6 address or prefix (e.g. 127.0.0.1, ::1, 10.0.0.0/8)"
        case .noListener:
            "no socket to listen on: pass --socket PATH or --bind HOST:PORT, or start taskr under spawn-fcgi or systemd socket activation"
        }
    }
}
