import Dispatch
import Foundation

extension Server {
    /// How long a stopping server hands over: it waits this long at most
    /// for the web server to close the connections it kept, and on a socket
    /// only it holds it takes what is queued this long at most.
    ///
    /// Only the web server can close a kept connection safely: it reuses
    /// the one it kept last first, at any moment, and a POST cut off on a
    /// kept connection is answered 502 (nginx repeats only idempotent
    /// requests). The shipped nginx configs close every kept connection
    /// within about a second (`keepalive_time` and `keepalive_timeout`
    /// 500ms in the upstream block); with a web server that does not, the
    /// server closes them itself after this long: each with its next
    /// answer, idle ones at once. A socket still reachable under its path
    /// (a stop, not an upgrade) keeps receiving; after this long it is
    /// left alone.
    static let handoverGrace = Duration.seconds(2)

    /// After ``shutdown()``: hands the site over to the next process without
    /// refusing anyone, then stops the workers and the slow lane.
    ///
    /// Until nothing waits on this process, it goes on answering:
    /// - requests on the connections the web server kept, until the web
    ///   server closes them (or ``handoverGrace`` passes);
    /// - on a socket only this process holds (spawn-fcgi's, `--socket`,
    ///   `--bind`), every connection queued on it, for ``handoverGrace`` at
    ///   most: when it is stopped for an upgrade (scripts/spawn-fcgi-restart.sh
    ///   renamed the next process's socket over its path), nothing else
    ///   would, and those connections would be reset at exit. On systemd's socket
    ///   (``ListenTarget/outlivesProcess``) it took nothing new since
    ///   ``shutdown()``: the queue waits there for the next process.
    ///
    /// Sign-ups and log-ins read meanwhile still go to the slow lane, which
    /// stops only after the workers. Returns false when `deadline` passed
    /// first.
    func handOver(until deadline: DispatchTime) -> Bool {
        let grace = DispatchTime.after(Self.handoverGrace)
        var quietChecks = 0
        // Quiet twice in a row, 5 ms apart: a worker between claiming a
        // connection and counting its request is not mistaken for idle.
        while quietChecks < 2, DispatchTime.now() < deadline {
            if DispatchTime.now() >= grace {
                stopAccepting()
                closingKept.store(true, ordering: .releasing)
                held.closeKept()
            }
            quietChecks = isQuiet ? quietChecks + 1 : 0
            usleep(5_000)
        }
        stopAccepting()
        exiting.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
        // Workers first: a request one is reading may still go to the lane.
        let workersFinished = workersDone.wait(timeout: deadline) == .success
        lane?.stop()
        return laneDone.wait(timeout: deadline) == .success && workersFinished
    }

    /// Nothing in flight, held or (where this process must answer it)
    /// queued on the listening socket.
    private var isQuiet: Bool {
        guard inFlight.load(ordering: .acquiring) == 0, held.count == 0 else { return false }
        return !accepting.load(ordering: .acquiring) || !isReadable(socket.fd)
    }

    /// Takes no new connection from the listening socket from now on.
    func stopAccepting() {
        guard accepting.exchange(false, ordering: .acquiringAndReleasing) else { return }
        epoll.forgetListeningSocket()
    }
}

extension DispatchTime {
    /// `duration` from now, for Dispatch's waits.
    static func after(_ duration: Duration) -> DispatchTime {
        let (seconds, attoseconds) = duration.components
        return .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
