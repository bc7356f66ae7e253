import Synchronization

/// Blocking HTTP(S) over libcurl, for threads that may wait (the FastCGI
/// workers). Keeps a few easy handles, each with its open connections, so
/// back-to-back requests to one host reuse a connection.
///
/// Taskr's replacement for URLSession, which leaks on Linux (README,
/// "Outbound HTTP").
public final class CurlClient: Sendable {
    /// Idle handles. A handle is either here or held by exactly one caller of
    /// ``perform(_:)``, so no two threads ever use one at once.
    private let idle = Mutex<[UnsafeSendable<EasyHandle>]>([])
    private let maxIdleHandles: Int

    /// - Parameter maxIdleHandles: handles (and their connections) kept
    ///   between requests; more may exist while that many requests run.
    public init(maxIdleHandles: Int = 8) {
        self.maxIdleHandles = maxIdleHandles
    }

    /// Sends `request` and waits, on the calling thread, for the whole
    /// answer or the request's timeout.
    public func perform(_ request: CurlRequest) throws(CurlError) -> CurlResponse {
        let handle: EasyHandle
        if let reused = idle.withLock({ $0.popLast() }) {
            handle = reused.value
        } else {
            handle = try EasyHandle()
        }
        defer {
            let returned = UnsafeSendable(handle)
            idle.withLock { handles in
                if handles.count < maxIdleHandles { handles.append(returned) }
            }
        }
        return try handle.perform(request)
    }
}

/// Moves an ``EasyHandle`` in and out of the idle list.
///
/// `@unchecked`: the handle is used by one thread at a time, the one that took
/// it from the list; libcurl allows that thread to differ between transfers.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
