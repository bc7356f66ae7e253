import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A listening socket, non-blocking and close-on-exec, owned by exactly one
/// value: ``close()`` (or `deinit`) closes it and removes a unix socket file
/// we created.
///
/// Sockets are bound here rather than with `FCGX_OpenSocket`, which unlinks a
/// live socket path, knows only IPv4 and calls `exit()` on errors.
public final class ListeningSocket: Sendable {
    public let fd: Int32
    public let target: ListenTarget
    /// The socket file to remove at close, with its inode, so that we never
    /// remove a file another process has since put there.
    private let ownedPath: (path: String, inode: ino_t)?
    private let closed = Atomic<Bool>(false)

    private init(fd: Int32, target: ListenTarget, ownedPath: (path: String, inode: ino_t)?) {
        self.fd = fd
        self.target = target
        self.ownedPath = ownedPath
    }

    deinit {
        close()
    }

    /// Stops listening: connections still in the backlog are refused. Safe to
    /// call more than once.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Glibc.close(fd)
        guard let ownedPath else { return }
        var current = stat()
        if lstat(ownedPath.path, &current) == 0, current.st_ino == ownedPath.inode {
            unlink(ownedPath.path)
        }
    }

    /// Opens (or adopts) the socket for `target`.
    public static func open(_ target: ListenTarget) throws(FastCGIError) -> ListeningSocket {
        let socket: ListeningSocket
        switch target {
        case let .inherited(fd), let .activated(fd):
            socket = ListeningSocket(fd: fd, target: target, ownedPath: nil)
        case let .unix(path, mode):
            socket = try bindUnix(path: path, mode: mode, target: target)
        case let .tcp(host, port):
            socket = try bindTCP(host: host, port: port, target: target)
        }
        try check("fcntl(O_NONBLOCK)", fcntl(socket.fd, F_SETFL, fcntl(socket.fd, F_GETFL) | O_NONBLOCK))
        try check("fcntl(FD_CLOEXEC)", fcntl(socket.fd, F_SETFD, FD_CLOEXEC))
        return socket
    }

    /// Binds a unix socket at `path`.
    ///
    /// A socket file nobody accepts on (left by a crash) is replaced; a live
    /// one, or a file that is not a socket, is refused. The socket is bound
    /// under a temporary name, given its mode, then renamed into place, so it
    /// never appears at `path` with the wrong permissions.
    private static func bindUnix(path: String, mode: UInt32, target: ListenTarget) throws(FastCGIError) -> ListeningSocket {
        var existing = stat()
        if lstat(path, &existing) == 0 {
            guard existing.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
            if try isAccepting(unixPath: path) { throw .socketInUse(path) }
        }
        let temporary = "\(path).\(getpid()).tmp"
        let fd = try makeUnixSocket()
        do {
            var address = try unixAddress(temporary)
            unlink(temporary)
            try check(
                "bind(\(path))",
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                })
            try check("chmod(\(path))", chmod(temporary, mode_t(mode)))
            try check("listen(\(path))", listen(fd, SOMAXCONN))
            try check("rename(\(path))", rename(temporary, path))
            var created = stat()
            try check("stat(\(path))", lstat(path, &created))
            return ListeningSocket(fd: fd, target: target, ownedPath: (path, created.st_ino))
        } catch {
            Glibc.close(fd)
            unlink(temporary)
            throw error
        }
    }

    /// Whether something accepts connections at `unixPath` right now.
    private static func isAccepting(unixPath: String) throws(FastCGIError) -> Bool {
        let fd = try makeUnixSocket()
        defer { Glibc.close(fd) }
        var address = try unixAddress(unixPath)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return true }
        switch errno {
        case ECONNREFUSED, ENOENT: return false
        // A full backlog still means a live server.
        case EAGAIN: return true
        default: throw .system("connect(\(unixPath))")
        }
    }

    private static func makeUnixSocket() throws(FastCGIError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try check("socket(AF_UNIX)", fd)
        return fd
    }

    private static func unixAddress(_ path: String) throws(FastCGIError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw .system("socket path \(path) (longer than \(capacity - 1) bytes)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        return address
    }

    private static func bindTCP(host: String, port: UInt16, target: ListenTarget) throws(FastCGIError) -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw .invalidAddress(target.description)
        }
        defer { freeaddrinfo(results) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        try check("socket(\(target))", fd)
        do {
            var reuse: Int32 = 1
            try check("setsockopt(SO_REUSEADDR)", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size)))
            try check("bind(\(target))", bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen))
            try check("listen(\(target))", listen(fd, SOMAXCONN))
        } catch {
            Glibc.close(fd)
            throw error
        }
        return ListeningSocket(fd: fd, target: target, ownedPath: nil)
    }
}

/// Every system call's result goes through here: -1 becomes a typed error
/// naming the operation.
@discardableResult
func check(_ operation: @autoclosure () -> String, _ result: Int32) throws(FastCGIError) -> Int32 {
    guard result != -1 else { throw .system(operation()) }
    return result
}
