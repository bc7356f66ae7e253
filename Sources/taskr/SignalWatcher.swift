import Foundation

/// Turns termination signals into a call on an ordinary thread.
///
/// The signal handler does the one thing that is safe there: it writes the
/// signal number into a pipe. A dedicated thread reads the pipe and calls
/// `onSignal`, where logging and locking are fine. Handlers are installed
/// with `SA_RESTART`, so a thread that happens to take the signal resumes
/// its system call; FastCGI workers block these signals altogether.
final class SignalWatcher: Sendable {
    private let pipe = Pipe()

    init(signals: [Int32], onSignal: @escaping @Sendable (Int32) -> Void) {
        signalPipeWriteEnd = pipe.fileHandleForWriting.fileDescriptor
        signal(SIGPIPE, SIG_IGN)
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
        let readEnd = pipe.fileHandleForReading.fileDescriptor
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 { onSignal(Int32(byte)) } else if count < 0, errno == EINTR { continue } else { return }
            }
        }
        thread.name = "signals"
        thread.start()
    }
}

/// The pipe the signal handler writes to. A global because a C signal
/// handler cannot capture context; written once, before any handler is
/// installed, and only read afterwards.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1
