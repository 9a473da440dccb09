import Synchronization

/// Remembers when Ganesha's last heartbeat arrived, for a health check to read at any time.
///
/// ``run()`` subscribes and records beats until its task is cancelled; ``lastBeat`` and
/// ``isBeating(within:now:)`` take one uncontended lock and never touch the bus, so a
/// `/healthz` handler can ask on every request.
public final class HeartbeatMonitor: Sendable {
    private struct State {
        var lastBeat: ContinuousClock.Instant?
        var beats = 0
    }

    private let client: GaneshaClient
    private let state = Mutex(State())

    public init(client: GaneshaClient) {
        self.client = client
    }

    /// When the last beat arrived; nil before the first.
    public var lastBeat: ContinuousClock.Instant? { state.withLock { $0.lastBeat } }

    /// How many beats arrived since ``run()`` started.
    public var beatCount: Int { state.withLock { $0.beats } }

    /// Whether a beat arrived within `window` before `now` (StorageOS's check uses 10 s).
    public func isBeating(within window: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        guard let lastBeat else { return false }
        return now - lastBeat <= window
    }

    /// Records beats until the task is cancelled (then it returns).
    ///
    /// Fails when the subscription cannot be made, and with ``GaneshaError/disconnected(_:)``
    /// when the bus goes away (Ganesha goes with it): start it again with a new bus.
    public func run() async throws(GaneshaError) {
        let beats = try await client.heartbeats()
        for await beat in beats {
            state.withLock {
                $0.lastBeat = beat.received
                $0.beats += 1
            }
        }
        if Task.isCancelled { return }
        throw .disconnected("the heartbeat subscription ended: the bus connection was lost")
    }
}
