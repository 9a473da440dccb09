/// One `heartbeat` signal from Ganesha.
public struct Heartbeat: Sendable, Equatable {
    /// Ganesha's health flag. 4.3 sends beats only while it is healthy, so a missing beat,
    /// not a false flag, is what says it is not.
    public let healthy: Bool
    /// When this process received the beat.
    public let received: ContinuousClock.Instant

    public init(healthy: Bool, received: ContinuousClock.Instant) {
        self.healthy = healthy
        self.received = received
    }
}
