public import Logging

/// Wraps a log handler so that every message and metadata value reaches it
/// through ``LogText/escape(_:)``: whatever a request puts into a logged
/// value (`%0A` in a query, a bidi override in a header), it stays inside
/// its own line.
public struct EscapingLogHandler: LogHandler {
    private var wrapped: any LogHandler

    public init(wrapping handler: any LogHandler) {
        wrapped = handler
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: LogText.escape(event.message.description))
        event.metadata = event.metadata?.mapValues(Self.escape)
        wrapped.log(event: event)
    }

    private static func escape(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case let .string(text): .string(LogText.escape(text))
        case let .stringConvertible(convertible): .string(LogText.escape(convertible.description))
        case let .array(values): .array(values.map(escape))
        case let .dictionary(values): .dictionary(values.mapValues(escape))
        }
    }
}
