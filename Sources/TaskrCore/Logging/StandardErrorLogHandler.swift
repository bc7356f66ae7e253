public import Logging
import ThreadLocal

#if canImport(Glibc)
    import Glibc
#endif

/// Writes each log line to standard error with one `write(2)` (or hands it
/// to a ``LogLineWriter``, as `taskr serve` does), in swift-log's
/// `StreamLogHandler` format:
/// `2026-11-30T05:49:12+0000 info taskr: [FastCGI] GET / 200 0.3ms`.
///
/// Why not `StreamLogHandler`: it locks the process-wide `stderr` stream
/// around every line and formats the time with `localtime`, which takes
/// glibc's time-zone lock, so at thousands of requests a second the workers
/// queued on those two locks for the access log. Here the time text is made
/// once a second, and a line below `PIPE_BUF` is written whole by one
/// `write(2)`, so lines from several workers never interleave.
///
/// With ``Format/json`` (`TASKR_LOG_FORMAT=json`) each line is one JSON
/// object with the same fields instead:
/// `{"time":"…","level":"info","label":"taskr","source":"FastCGI","message":"GET / 200 0.3ms"}`,
/// and `"metadata":{…}` when there is any.
///
/// It escapes nothing of what a request sent: `taskr serve` puts
/// ``EscapingLogHandler`` in front of it (control and bidi characters become
/// visible text before they get here); the JSON form then escapes only what
/// JSON requires of a string (`"`, `\` and the C0 controls).
public struct StandardErrorLogHandler: LogHandler {
    /// How a line is written.
    public enum Format: String, Sendable {
        case text
        case json
    }

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let descriptor: Int32
    private let format: Format
    private let writer: LogLineWriter?

    /// - Parameters:
    ///   - descriptor: where lines go (2, standard error; tests pass a pipe).
    ///   - writer: writes the lines off the caller's thread (``LogLineWriter``;
    ///     its descriptor, not `descriptor`); nil writes each line at once.
    public init(label: String, descriptor: Int32 = 2, format: Format = .text, writer: LogLineWriter? = nil) {
        self.label = label
        self.descriptor = writer?.descriptor ?? descriptor
        self.format = format
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = format == .json ? jsonLine(event) : textLine(event)
        if let writer {
            writer.append(line, urgent: event.level >= .error)
        } else {
            line.withUnsafeBytes { LogLineWriter.writeWhole($0, to: descriptor) }
        }
    }

    private func textLine(_ event: LogEvent) -> [UInt8] {
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
        return line
    }

    private func jsonLine(_ event: LogEvent) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        func field(_ name: String, _ value: String, first: Bool = false) {
            line.append(contentsOf: (first ? "{\"" : ",\"").utf8)
            line.append(contentsOf: name.utf8)
            line.append(contentsOf: "\":".utf8)
            Self.appendJSONString(value, to: &line)
        }
        field("time", Self.clock.text(), first: true)
        field("level", event.level.rawValue)
        field("label", label)
        field("source", event.source)
        field("message", event.message.description)
        let merged = mergedMetadata(event)
        if !merged.isEmpty {
            line.append(contentsOf: ",\"metadata\":".utf8)
            for (index, (key, value)) in merged.sorted(by: { $0.key < $1.key }).enumerated() {
                line.append(UInt8(ascii: index == 0 ? "{" : ","))
                Self.appendJSONString(key, to: &line)
                line.append(UInt8(ascii: ":"))
                Self.appendJSONString("\(value)", to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// `text` as a JSON string (RFC 8259 §7): `"` and `\` escaped, the C0
    /// controls as `\u00XX`; everything else is valid UTF-8 already.
    static func appendJSONString(_ text: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                line.append(UInt8(ascii: "\\"))
                line.append(byte)
            case 0..<0x20:
                line.append(contentsOf: "\\u00".utf8)
                line.append(hexDigits[Int(byte >> 4)])
                line.append(hexDigits[Int(byte & 0xF)])
            default:
                line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// The handler's and the event's metadata (and the error's).
    private func mergedMetadata(_ event: LogEvent) -> Logger.Metadata {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { _, explicit in explicit } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }

    /// The metadata as `key=value` sorted by key, as `StreamLogHandler`
    /// writes it; nil when there is none.
    private func prettyMetadata(_ event: LogEvent) -> String? {
        let merged = mergedMetadata(event)
        guard !merged.isEmpty else { return nil }
        return merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    private static let clock = SecondClock()
    private static let hexDigits = Array("0123456789abcdef".utf8)
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
