/// A short label of a browser from its `User-Agent`, such as "Firefox on
/// Linux", for the list of sessions on `/account`.
///
/// Made only of the fixed words below: whatever a client sends, the label
/// stored and shown is one of a few hundred known strings, never its text.
enum ClientLabel {
    /// Browsers, most specific first: Edge and Opera also say "Chrome", and
    /// Chrome also says "Safari".
    private static let browsers: [(token: String, name: String)] = [
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Chrome"), ("Chrome/", "Chrome"), ("CriOS/", "Chrome"), ("FxiOS/", "Firefox"),
        ("Safari/", "Safari"), ("curl/", "curl"), ("Wget/", "Wget"),
    ]
    /// Systems, most specific first: Android also says "Linux", iOS "Mac OS X".
    private static let systems: [(token: String, name: String)] = [
        ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("CrOS", "ChromeOS"), ("Windows", "Windows"),
        ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"),
    ]

    static func describe(userAgent: String?) -> String {
        guard let userAgent, !userAgent.isEmpty else { return "Unknown browser" }
        // Compared on UTF-8 bytes: a token is ASCII, and a combining mark
        // after it in a hostile header must not hide it.
        let bytes = Array(userAgent.utf8.prefix(512))
        let browser = browsers.first { bytes.firstRange(of: $0.token.utf8) != nil }?.name
        let system = systems.first { bytes.firstRange(of: $0.token.utf8) != nil }?.name
        switch (browser, system) {
        case let (browser?, system?): return "\(browser) on \(system)"
        case let (browser?, nil): return browser
        case let (nil, system?): return "A browser on \(system)"
        case (nil, nil): return "Unknown browser"
        }
    }
}
