import Foundation

extension Date {
    /// Whole seconds since 1970, as stored in the database: compact, and
    /// comparable in SQL.
    var unixTime: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }

    init(unixTime: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(unixTime))
    }
}

extension Date {
    /// "2026-11-30 14:05 UTC": to the minute, the same for every reader.
    var utcMinuteText: String {
        var seconds = time_t(unixTime)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d UTC", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min))
    }
}
