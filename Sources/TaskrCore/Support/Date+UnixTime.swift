import Foundation

extension Date {
    /// Whole seconds since 1970, as stored in the database: compact, and
    /// comparable in SQL.
    var unixTime: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }

    init(unixTime: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(unixTime))
    }
}
