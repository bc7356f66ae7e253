internal import CCurl

/// libcurl's process-wide setup, done once before the first handle.
enum CurlLibrary {
    /// `curl_global_init` is not thread-safe in every libcurl build; a
    /// static let runs it exactly once, whichever thread comes first.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    static func ensureInitialized() {
        precondition(initialized, "curl_global_init failed")
    }
}
