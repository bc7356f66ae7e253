internal import CFastCGI
import Foundation

/// The one epoll instance the workers share, owned (closed in `deinit`):
/// the listening socket (edge-triggered: a new connection wakes one waiting
/// worker, which accepts until `EAGAIN`), the wake pipe (level-triggered, so
/// shutdown reaches every worker) and the kept connections waiting for
/// their next request (one-shot: a request wakes one worker, and the
/// connection is armed again only once that request is answered).
final class WorkerEpoll: Sendable {
    let fd: Int32
    private let listening: Int32

    init(listening: Int32, wake: Int32) throws(FastCGIError) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        try check("epoll_create1", epoll)
        var listeningEvent = epoll_event()
        listeningEvent.events = EPOLLIN.rawValue | EPOLLET.rawValue
        listeningEvent.data.fd = listening
        var wakeEvent = epoll_event()
        wakeEvent.events = EPOLLIN.rawValue
        wakeEvent.data.fd = wake
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

    /// Waits for one event; nil on `EINTR`.
    func wait() throws(FastCGIError) -> epoll_event? {
        var event = epoll_event()
        let ready = epoll_wait(fd, &event, 1, -1)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .system("epoll_wait", errno: errno)
        }
        return ready == 1 ? event : nil
    }

    /// Re-checks the edge-triggered listening socket: one edge may stand for
    /// several queued connections, and re-arming wakes one more worker if
    /// another connection is waiting, so queued connections never wait for
    /// the answer in hand.
    func rearmListeningSocket() {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLET.rawValue
        event.data.fd = listening
        epoll_ctl(fd, EPOLL_CTL_MOD, listening, &event)
    }

    /// Arms a kept connection for its next request: one worker is woken
    /// when it is readable (or closed). Returns false (the caller closes
    /// it) when the kernel refuses.
    func keep(_ connection: Int32) -> Bool {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue
        event.data.fd = connection
        // Re-armed if it was in the set already (a request read from it
        // before), added otherwise (a new connection).
        if epoll_ctl(fd, EPOLL_CTL_MOD, connection, &event) == 0 { return true }
        return errno == ENOENT && epoll_ctl(fd, EPOLL_CTL_ADD, connection, &event) == 0
    }
}
