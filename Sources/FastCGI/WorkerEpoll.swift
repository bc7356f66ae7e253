internal import CFastCGI
import Foundation

/// The one epoll instance the workers share, owned (closed in `deinit`):
/// the listening socket (edge-triggered: a new connection wakes one waiting
/// worker, which accepts until `EAGAIN`), the wake pipe (level-triggered, so
/// shutdown reaches every worker) and the held connections waiting for
/// their next request (one-shot: a request wakes one worker, and the
/// connection is armed again only once that request is answered).
///
/// Each event carries a token: the listening socket's and the wake pipe's
/// are their fd numbers; a held connection's adds a generation in the high
/// bits (see ``HeldConnections``), so a stale event for a connection closed
/// meanwhile never reaches the connection that reused its number.
final class WorkerEpoll: Sendable {
    let fd: Int32
    private let listening: Int32

    init(listening: Int32, wake: Int32) throws(FastCGIError) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        try check("epoll_create1", epoll)
        var listeningEvent = epoll_event()
        listeningEvent.events = EPOLLIN.rawValue | EPOLLET.rawValue
        listeningEvent.data.u64 = Self.token(of: listening)
        var wakeEvent = epoll_event()
        wakeEvent.events = EPOLLIN.rawValue
        wakeEvent.data.u64 = Self.token(of: wake)
        do {
            try check("epoll_ctl", epoll_ctl(epoll, EPOLL_CTL_ADD, listening, &listeningEvent))
            try check("epoll_ctl", epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &wakeEvent))
        } catch {
            close(epoll)
            throw error
        }
        self.fd = epoll
        self.listening = listening
    }

    deinit { close(fd) }

    /// The token of a socket or pipe registered for good (generation 0).
    static func token(of fd: Int32) -> UInt64 { UInt64(UInt32(bitPattern: fd)) }

    /// Waits for one event: its token and its event bits; nil on `EINTR`.
    func wait() throws(FastCGIError) -> (token: UInt64, events: UInt32)? {
        var event = epoll_event()
        let ready = epoll_wait(fd, &event, 1, -1)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .system("epoll_wait", errno: errno)
        }
        return ready == 1 ? (event.data.u64, event.events) : nil
    }

    /// Re-checks the edge-triggered listening socket: one edge may stand for
    /// several queued connections, and re-arming wakes one more worker if
    /// another connection is waiting, so queued connections never wait for
    /// the answer in hand.
    func rearmListeningSocket() {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLET.rawValue
        event.data.u64 = Self.token(of: listening)
        epoll_ctl(fd, EPOLL_CTL_MOD, listening, &event)
    }

    /// Takes the listening socket out of the set: a stopping server's
    /// workers are woken for no new connection.
    func forgetListeningSocket() {
        epoll_ctl(fd, EPOLL_CTL_DEL, listening, nil)
    }

    /// Arms a held connection for its next request: one worker is woken
    /// when it is readable (or closed). Returns false (the caller closes
    /// it) when the kernel refuses.
    func arm(_ connection: Int32, token: UInt64) -> Bool {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue
        event.data.u64 = token
        // Re-armed if it was in the set already (a request read from it
        // before), added otherwise (a new connection).
        if epoll_ctl(fd, EPOLL_CTL_MOD, connection, &event) == 0 { return true }
        return errno == ENOENT && epoll_ctl(fd, EPOLL_CTL_ADD, connection, &event) == 0
    }

    /// Takes a connection out of the set before it is closed.
    func remove(_ connection: Int32) {
        epoll_ctl(fd, EPOLL_CTL_DEL, connection, nil)
    }
}
