internal import CCurl
import Foundation
import HTTP

/// One libcurl easy handle. Between transfers it keeps its connection cache
/// (and TLS session and DNS caches), which is what reuses connections.
///
/// Not thread-safe: ``CurlClient`` lends each handle to one caller at a time.
final class EasyHandle {
    private let handle: UnsafeMutableRawPointer

    init() throws(CurlError) {
        CurlLibrary.ensureInitialized()
        guard let handle = curl_easy_init() else { throw .transfer(code: CURLE_FAILED_INIT.rawValue, message: "curl_easy_init failed") }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends `request` and waits for the whole answer on the calling thread.
    func perform(
        _ request: OutboundRequest, options: CurlClient.Options
    ) throws(CurlError) -> (status: Int, headers: [(name: String, value: String)], body: Data) {
        // Every option from the previous transfer goes; the caches stay.
        curl_easy_reset(handle)
        let sink = ResponseSink(limit: options.maxResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        try configure(request, options: options, headerList: &headerList)
        // libcurl holds the sink unretained: it must live until perform returns.
        try check(taskr_curl_setopt_write(handle, writeToSink), "CURLOPT_WRITEFUNCTION")
        try check(taskr_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque()), "CURLOPT_WRITEDATA")
        let result = withExtendedLifetime(sink) { curl_easy_perform(handle) }
        switch result {
        case CURLE_OK: break
        case CURLE_OPERATION_TIMEDOUT: throw .timedOut
        case CURLE_FILESIZE_EXCEEDED: throw .responseTooLarge(limit: options.maxResponseBytes)
        case CURLE_WRITE_ERROR where sink.overflowed: throw .responseTooLarge(limit: options.maxResponseBytes)
        default: throw .transfer(code: result.rawValue, message: String(cString: curl_easy_strerror(result)))
        }

        var status = 0
        try check(taskr_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        return (status, responseHeaders(), sink.data)
    }

    private func configure(
        _ request: OutboundRequest, options: CurlClient.Options, headerList: inout UnsafeMutablePointer<curl_slist>?
    ) throws(CurlError) {
        let url = request.url.absoluteString
        guard !request.method.isEmpty, request.method.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            throw .invalidRequest("method")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), !url.utf8.contains(0) else {
            throw .invalidRequest("URL")
        }
        try setString(CURLOPT_URL, url)
        // Only HTTP(S), never another of libcurl's protocols; redirects are
        // not followed (the default), so a token is sent to one origin only.
        try setString(CURLOPT_PROTOCOLS_STR, "http,https")
        // Worker threads: no SIGALRM for DNS timeouts.
        try setLong(CURLOPT_NOSIGNAL, 1)
        try setLong(CURLOPT_TIMEOUT_MS, milliseconds(request.timeout))
        try setLong(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(min(options.connectTimeout, request.timeout)))
        // Refused before any byte is kept when the server announces the size.
        try check(taskr_curl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maxResponseBytes)), "CURLOPT_MAXFILESIZE_LARGE")
        // Peer and host name verification stay on (libcurl's defaults).
        if let trusted = options.trustedCertificates { try setString(CURLOPT_CAINFO, trusted) }
        try setString(CURLOPT_ACCEPT_ENCODING, "")
        try setString(CURLOPT_USERAGENT, "taskr")

        switch (request.method, request.body) {
        case ("GET", nil): try setLong(CURLOPT_HTTPGET, 1)
        case ("HEAD", nil): try setLong(CURLOPT_NOBODY, 1)
        case (_, nil): try setString(CURLOPT_CUSTOMREQUEST, request.method)
        case let (method, body?):
            try check(taskr_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "CURLOPT_POSTFIELDSIZE_LARGE")
            // Copied by libcurl, so the body need not outlive this call.
            let copied = body.withUnsafeBytes { bytes in
                taskr_curl_setopt_pointer(
                    handle, CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)))
            }
            try check(copied, "CURLOPT_COPYPOSTFIELDS")
            if method != "POST" { try setString(CURLOPT_CUSTOMREQUEST, method) }
        }

        // "Expect:" keeps libcurl from waiting for a 100 Continue on larger bodies.
        // In name order, so the same request is always sent the same way.
        for line in request.headers.sorted(by: { $0.key < $1.key }).map({ "\($0.key): \($0.value)" }) + ["Expect:"] {
            guard !line.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { throw .invalidRequest("header") }
            guard let appended = curl_slist_append(headerList, line) else {
                throw .transfer(code: CURLE_OUT_OF_MEMORY.rawValue, message: "out of memory")
            }
            headerList = appended
        }
        try check(taskr_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
    }

    /// The final answer's headers (not those of a 1xx or of a proxy).
    private func responseHeaders() -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        var previous: UnsafeMutablePointer<curl_header>?
        while let header = curl_easy_nextheader(handle, UInt32(CURLH_HEADER), -1, previous) {
            headers.append((String(cString: header.pointee.name), String(cString: header.pointee.value)))
            previous = header
        }
        return headers
    }

    private func setLong(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(taskr_curl_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func setString(_ option: CURLoption, _ value: String) throws(CurlError) {
        try check(taskr_curl_setopt_string(handle, option, value), "option \(option.rawValue)")
    }

    /// Every libcurl result goes through here; `what` names the option, never its value.
    private func check(_ code: CURLcode, _ what: String) throws(CurlError) {
        guard code == CURLE_OK else {
            throw .transfer(code: code.rawValue, message: "\(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private func milliseconds(_ interval: TimeInterval) -> Int {
        // libcurl reads 0 as "no timeout": at least 1 ms.
        max(1, Int((interval * 1000).rounded(.up)))
    }
}

/// Collects the body, up to a limit.
private final class ResponseSink {
    let limit: Int
    var data = Data()
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard data.count + bytes.count <= limit else {
            overflowed = true
            return false
        }
        data.append(contentsOf: bytes)
        return true
    }
}

/// libcurl's write callback: hands each chunk to the transfer's ``ResponseSink``.
/// Returning less than it was given makes libcurl stop with CURLE_WRITE_ERROR.
private func writeToSink(_ chunk: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return sink.append(UnsafeRawBufferPointer(start: chunk, count: length)) ? length : 0
}
