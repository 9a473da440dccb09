/// One `heartbeat` signal from Ganesha.
public struct Heartbeat: Sendable, Equatable {
    /// Ganesha's health flag. 4.3 sends beats only while it is healthy, so a missing beat,
    /// not a false flag, is what says it is not.
    public let healthy: Bool
    /// When this process received the beat.
    public let received: ContinuousClock.Instant
    /// Ganesha's message number for it: orders beats against its replies by when Ganesha sent
    /// them, which receive times cannot do on a loaded machine.
    public let serial: UInt32

    public init(healthy: Bool, received: ContinuousClock.Instant, serial: UInt32 = 0) {
        self.healthy = healthy
        self.received = received
        self.serial = serial
    }
}
