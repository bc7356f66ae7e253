public import Foundation

/// When sessions expire, from `TASKR_SESSION_IDLE_MINUTES` and
/// `TASKR_SESSION_MAX_HOURS`.
public struct SessionPolicy: Sendable, Equatable {
    /// A session unused this long expires.
    public var idleTimeout: TimeInterval
    /// A session older than this expires, used or not.
    public var maximumAge: TimeInterval
    /// "Last seen" is written at most this often per session, not on every
    /// request: idle expiry is accurate to within this interval.
    public var touchInterval: TimeInterval

    public init(idleTimeout: TimeInterval, maximumAge: TimeInterval) {
        self.idleTimeout = idleTimeout
        self.maximumAge = maximumAge
        self.touchInterval = min(60, idleTimeout / 10)
    }

    func isExpired(_ session: Session, now: Date) -> Bool {
        now.timeIntervalSince(session.lastSeenAt) >= idleTimeout
            || now.timeIntervalSince(session.createdAt) >= maximumAge
    }

    func needsTouch(_ session: Session, now: Date) -> Bool {
        now.timeIntervalSince(session.lastSeenAt) >= touchInterval
    }
}
