internal import CFastCGI

/// One libfcgi request (`FCGX_Request`), owned by exactly one Swift value:
/// allocated and initialised on the listening socket in `init`, its
/// connection closed and its memory freed in `deinit`. One worker thread
/// uses it, request after request; nothing else touches its fields.
///
/// - Warning: not thread-safe, and never handed to another thread.
final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>

    /// - Parameter listening: what libfcgi's own accept would take new
    ///   connections from: the server's placeholder, so it never does.
    init(listening: Int32) throws(FastCGIError) {
        request = .allocate(capacity: 1)
        guard FCGX_InitRequest(request, listening, 0) == 0 else {
            request.deallocate()
            throw .system("FCGX_InitRequest", errno: 0)
        }
    }

    deinit {
        // A connection still held is closed with the request's streams.
        if request.pointee.ipcFd >= 0 { FCGX_Free(request, 1) }
        request.deallocate()
    }

    /// The connection this request reads from (-1 between requests).
    var connection: Int32 { request.pointee.ipcFd }

    /// Whether the web server asked to keep the connection after this
    /// request (`fastcgi_keep_conn on`); cleared, libfcgi closes it at
    /// ``finish()``.
    var keepsConnection: Bool {
        get { request.pointee.keepConnection != 0 }
        set { request.pointee.keepConnection = newValue ? 1 : 0 }
    }

    /// Takes over a connection that has its next request waiting, so that
    /// ``accept()`` reads it (or, if the peer closed it, closes it and fails
    /// with EINVAL on the placeholder socket it was initialised on).
    ///
    /// Marked detached until its params are read, so that when libfcgi
    /// closes it for a failed or timed-out read it closes at once: else it
    /// shuts the sending side and waits up to 2 s for the peer to close
    /// first, and a silent peer would hold the worker that long past its
    /// read timeout.
    func adopt(_ keptConnection: Int32) {
        request.pointee.ipcFd = keptConnection
        request.pointee.keepConnection = 1
        request.pointee.detached = 1
    }

    /// Reads the next request's params from the adopted connection.
    /// Returns 0, or a negative errno (`-EINVAL`: the connection ended, or
    /// failed, and libfcgi closed it).
    func accept() -> Int32 {
        let result = FCGX_Accept_r(request)
        // A request being answered closes as libfcgi means it to: the send
        // side shut first and what the peer still sends read away, so that
        // the peer never gets a reset instead of the answer (a 413 leaves
        // the body unread).
        if result == 0 { request.pointee.detached = 0 }
        return result
    }

    /// The params, copied into Swift values at once.
    func params() -> (values: FastCGIParams, invalid: String?) {
        RequestDecoder.params(environment: request.pointee.envp)
    }

    /// Up to `length` bytes of the request body (fewer if the stream ends).
    func readBody(length: Int) -> [UInt8] {
        let input = request.pointee.`in`
        var body = [UInt8](repeating: 0, count: length)
        var filled = 0
        while filled < length {
            let read = body.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.advanced(by: filled).withMemoryRebound(to: CChar.self, capacity: length - filled) {
                    FCGX_GetStr($0, Int32(length - filled), input)
                }
            }
            guard read > 0 else { break }
            filled += Int(read)
        }
        return filled == length ? body : Array(body.prefix(filled))
    }

    /// Writes `bytes` to the response; false when the web server is gone.
    func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                FCGX_PutStr($0.baseAddress, Int32($0.count), request.pointee.out) == Int32($0.count)
            }
        }
    }

    /// Reads what is left of a kept connection's request body, up to the
    /// end-of-stdin record, so its next request starts at a record boundary
    /// (libfcgi does not; a page that never reads stdin would leave that
    /// record for the next request to trip on). Returns false when the body
    /// went on beyond 1 MiB or the stream failed: that connection is closed
    /// instead of kept.
    func drainInput() -> Bool {
        let input = request.pointee.`in`
        // Uninitialised stack memory, not a zeroed array: the zeroing and
        // the allocation were 3 % of a logged-in page's instructions.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buffer in
            var drained = 0
            while drained <= 1 << 20 {
                let read = FCGX_GetStr(buffer.baseAddress, Int32(buffer.count), input)
                guard read > 0 else { return read == 0 && FCGX_GetError(input) == 0 }
                drained += Int(read)
            }
            return false
        }
    }

    /// Flushes the response and ends the request; libfcgi closes the
    /// connection unless it is kept.
    func finish() { FCGX_Finish_r(request) }

    /// The kept connection, given up by this request (which then holds
    /// none); nil when libfcgi closed it.
    func releaseKeptConnection() -> Int32? {
        let kept = request.pointee.ipcFd
        guard kept >= 0 else { return nil }
        request.pointee.ipcFd = -1
        return kept
    }
}
