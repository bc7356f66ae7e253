/// Decoded `name=value` pairs from a query string or a form body.
///
/// Order and repeats are kept; ``subscript(_:)`` answers the first value,
/// which is what a form field with one input means.
public struct Parameters: Sendable, Equatable {
    public private(set) var pairs: [(name: String, value: String)]

    public init(_ pairs: [(name: String, value: String)] = []) {
        self.pairs = pairs
    }

    /// Decodes `application/x-www-form-urlencoded` bytes.
    ///
    /// - Throws: ``HTTPError`` 400 on malformed percent-encoding, invalid UTF-8 or NUL.
    public init(urlEncoded bytes: some Collection<UInt8>) throws(HTTPError) {
        self.pairs = try PercentDecoding.decodePairs(bytes)
    }

    /// The first value named `name`, or nil.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Every value named `name`, in order.
    public func values(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    public var isEmpty: Bool { pairs.isEmpty }

    public static func == (lhs: Parameters, rhs: Parameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }
}
