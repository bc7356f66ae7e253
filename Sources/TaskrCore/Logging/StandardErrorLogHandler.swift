public import Logging
import ThreadLocal

#if canImport(Glibc)
    import Glibc
#endif

/// Writes each log line to standard error with one `write(2)`, in
/// swift-log's `StreamLogHandler` format:
/// `2026-11-30T05:49:12+0000 info taskr: [FastCGI] GET / 200 0.3ms`.
///
/// Why not `StreamLogHandler`: it locks the process-wide `stderr` stream
/// around every line and formats the time with `localtime`, which takes
/// glibc's time-zone lock, so at thousands of requests a second the workers
/// queued on those two locks for the access log. Here the time text is made
/// once a second, and a line below `PIPE_BUF` is written whole by one
/// `write(2)`, so lines from several workers never interleave.
///
/// It escapes nothing itself: `taskr serve` puts ``EscapingLogHandler`` in
/// front of it.
public struct StandardErrorLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let descriptor: Int32

    /// - Parameter descriptor: where lines go (2, standard error; tests pass a pipe).
    public init(label: String, descriptor: Int32 = 2) {
        self.label = label
        self.descriptor = descriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Appended as bytes into one buffer (String concatenation cost more).
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: Self.clock.text().utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: event.level.rawValue.utf8)
        if !label.isEmpty {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: label.utf8)
        }
        line.append(UInt8(ascii: ":"))
        if let pretty = prettyMetadata(event) {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: pretty.utf8)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: event.source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: event.message.description.utf8)
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// The handler's and the event's metadata (and the error's), `key=value`
    /// sorted by key, as `StreamLogHandler` writes them; nil when there is none.
    private func prettyMetadata(_ event: LogEvent) -> String? {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { _, explicit in explicit } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        guard !merged.isEmpty else { return nil }
        return merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    private static let clock = SecondClock()
}

/// The local time as `2026-11-30T05:49:12+0000`, formatted at most once a
/// second by each thread: every thread keeps its own text, so workers
/// writing log lines share no lock (one shared cache behind a mutex was
/// contended at thousands of lines a second).
private final class SecondClock: Sendable {
    private let slots = ThreadLocal { Slot() }

    func text() -> String {
        // Making a slot cannot fail.
        guard let slot = try? slots.value() else { return "<unknown>" }
        let now = time(nil)
        if slot.second != now {
            slot.second = now
            slot.text = Self.format(now)
        }
        return slot.text
    }

    private static func format(_ seconds: time_t) -> String {
        var moment = seconds
        var local = tm()
        var buffer = [CChar](repeating: 0, count: 64)
        guard localtime_r(&moment, &local) != nil, strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local) > 0 else {
            return "<unknown>"
        }
        return String(cString: buffer)
    }

    private final class Slot {
        var second: time_t = -1
        var text = ""
    }
}
