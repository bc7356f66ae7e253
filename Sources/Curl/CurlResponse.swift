public import Foundation

/// What the server answered (the final answer: redirects are not followed).
public struct CurlResponse: Sendable {
    public var status: Int
    /// In the order received, names as the server spelled them.
    public var headers: [(name: String, value: String)]
    public var body: Data
}
