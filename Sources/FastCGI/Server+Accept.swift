internal import CFastCGI
import Foundation

extension Server {
    enum Accepted {
        /// Nothing queued (or the accept failed, and said so in the log).
        case nothing
        /// A peer that `FCGI_WEB_SERVER_ADDRS` does not list, closed.
        case refused
        /// A connection to read a request from, with its timeouts set.
        case connection(Int32)
    }

    /// Accepts one connection from the non-blocking listening socket in
    /// Swift (libfcgi's own accept checks IPv4 peers only), checks the peer
    /// against `FCGI_WEB_SERVER_ADDRS` and gives the connection its read
    /// and write timeouts, so a silent peer frees its worker.
    func acceptPeer() -> Accepted {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let connection = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(socket.fd, $0, &length) }
        }
        guard connection >= 0 else {
            let code = errno
            // Nothing queued: the next connection brings its own edge.
            if code != EAGAIN && code != EWOULDBLOCK { epoll.rearmListeningSocket() }
            handleAcceptFailure(errno: code)
            return .nothing
        }
        // One edge may stand for several queued connections: wake one more
        // worker if another is waiting, so it never waits for this answer.
        epoll.rearmListeningSocket()
        // Close-on-exec (Glibc's module has no accept4); taskr never execs
        // while serving, so there is no window to mind.
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        if let peers, !peers.admits(address) {
            logger.warning("closed a FastCGI connection from \(PeerFilter.describe(address)): not in FCGI_WEB_SERVER_ADDRS")
            close(connection)
            return .refused
        }
        let (seconds, attoseconds) = limits.readTimeout.components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(connection, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        return .connection(connection)
    }

    /// Whether the connection's first bytes are there already (nginx writes
    /// its request right after connecting): then it is answered at once,
    /// without a trip through the epoll set.
    func isReadable(_ connection: Int32) -> Bool {
        var ready = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
        return poll(&ready, 1, 0) == 1
    }

    func handleAcceptFailure(errno code: Int32) {
        switch code {
        case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED:
            // Another worker took the connection, or the peer gave up.
            return
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            logger.error("accept failed: \(String(cString: strerror(code))); pausing briefly")
            usleep(100_000)
        default:
            logger.error("accept failed: \(Self.describe(acceptFailure: code))")
        }
    }

    static func describe(acceptFailure code: Int32) -> String {
        code > 0 ? String(cString: strerror(code)) : "protocol error \(code)"
    }
}
