import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes log lines to one descriptor from a thread of its own, so the
/// access log's `write(2)` is off the request path: a worker appends its
/// line to a buffer and goes on; the writer collects for ``gathering`` and
/// writes the lines with one `write(2)` per ``PIPE_BUF`` (measured: one
/// `write(2)` per request was the workers' second most frequent call).
///
/// It never drops and never reorders a line:
/// - lines go out in the order they were appended (under one lock);
/// - a full buffer (``capacity``) makes the next line wait for the writer,
///   it is not thrown away;
/// - an urgent line (``Logger/Level/error`` and above, for the handler)
///   returns only once it and every line before it are written, so the line
///   that explains a crash is out before the crash;
/// - ``flush()`` waits for everything appended; `exit(3)` calls it for
///   ``standardError``.
///
/// Each `write(2)` carries whole lines of at most `PIPE_BUF` bytes together
/// (a longer line alone), so on a pipe shared with other processes (several
/// `taskr serve` started by spawn-fcgi) lines never interleave.
public final class LogLineWriter: @unchecked Sendable {
    // @unchecked: `pending`, `idle`, `writing` and `waiting` are guarded by `condition`.

    /// Standard error's writer, flushed at exit.
    public static let standardError: LogLineWriter = {
        let writer = LogLineWriter(descriptor: 2)
        atexit { LogLineWriter.standardError.flush() }
        return writer
    }()

    /// How long the writer collects lines after the first one of a batch.
    static let gathering: Duration = .milliseconds(2)
    /// Bytes waiting before appending waits for the writer.
    static let capacity = 1 << 20

    let descriptor: Int32
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    /// The writer waits for a first line (else it is collecting or writing).
    private var idle = false
    /// The writer holds a batch that is not fully written yet.
    private var writing = false
    /// Threads waiting for the writer (a full buffer, an urgent line, a flush).
    private var waiting = 0
    private var started = false

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Appends one whole line (ending in a newline). `urgent`: returns once
    /// it is written.
    public func append(_ line: [UInt8], urgent: Bool = false) {
        condition.lock()
        defer { condition.unlock() }
        if !started { startWriter() }
        while !pending.isEmpty, pending.count + line.count > Self.capacity { waitForWriter() }
        pending.append(contentsOf: line)
        if idle {
            idle = false
            condition.broadcast()
        }
        if urgent { drain() }
    }

    /// Returns once every line appended before is written.
    public func flush() {
        condition.lock()
        defer { condition.unlock() }
        drain()
    }

    /// With the lock held: waits until nothing is pending or being written.
    private func drain() {
        while !pending.isEmpty || writing { waitForWriter() }
    }

    private func waitForWriter() {
        waiting += 1
        condition.wait()
        waiting -= 1
    }

    private func startWriter() {
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "log-writer"
        thread.start()
    }

    private func run() {
        var batch: [UInt8] = []
        condition.lock()
        while true {
            while pending.isEmpty {
                idle = true
                condition.wait()
            }
            idle = false
            writing = true
            condition.unlock()
            // Later lines join this batch meanwhile, without waking anyone.
            let (seconds, attoseconds) = Self.gathering.components
            usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            condition.lock()
            swap(&batch, &pending)
            condition.unlock()
            Self.writeLines(batch, to: descriptor)
            batch.removeAll(keepingCapacity: true)
            if batch.capacity > Self.capacity { batch = [] }
            condition.lock()
            writing = false
            if waiting > 0 { condition.broadcast() }
        }
    }

    /// Writes `lines` (whole lines) in `write(2)`s of whole lines, each at
    /// most `PIPE_BUF` bytes unless one line alone is longer.
    static func writeLines(_ lines: [UInt8], to descriptor: Int32) {
        lines.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = min(start + Int(PIPE_BUF), bytes.count)
                if end < bytes.count {
                    // Back to the last newline in the chunk; forward to the
                    // first after it when one line alone is longer.
                    var cut = end
                    while cut > start, bytes[cut - 1] != UInt8(ascii: "\n") { cut -= 1 }
                    if cut == start {
                        cut = end
                        while cut < bytes.count, bytes[cut - 1] != UInt8(ascii: "\n") { cut += 1 }
                    }
                    end = cut
                }
                writeWhole(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), to: descriptor)
                start = end
            }
        }
    }

    /// One `write(2)` for all of `bytes` unless the kernel takes less.
    static func writeWhole(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, base + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
