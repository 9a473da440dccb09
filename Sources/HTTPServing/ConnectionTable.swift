import NIOCore
import Synchronization

/// The open connections of one listener, and who gives way when there are too many.
///
/// Refusing the newest connection at a fixed cap let whoever holds the slots, with a byte a
/// second each, lock out the kubelet, whose whole request arrives at once: its liveness probe
/// then restarted a healthy volume. Here the cap makes room instead. Beyond the soft cap, a
/// connection that has waited `crowdedWait` for its request (since it opened or since its
/// last answer), plus up to as long again at random, is closed, the one due first first,
/// until the soft cap is met again; a connection whose request has arrived is never closed
/// for room. The random part keeps a crowd that came at once from being closed at once and
/// coming back at once: a burst of reconnects queues ahead of the probe in the accept queue.
/// Beyond the hard cap (open files are finite) the connection due first goes at once,
/// however young; when every connection has a request in hand, that is the newest.
/// Per-peer limits would not do: the kubelet and an attacker in the same Pod network
/// namespace share an address.
final class ConnectionTable: Sendable {
    struct Bounds: Sendable {
        var soft: Int
        var hard: Int
        var crowdedWait: TimeAmount
    }

    private struct Entry {
        let channel: any Channel
        /// When it may be closed for room; nil while a complete request is being answered.
        var due: NIODeadline?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var sweepAt: NIODeadline?

        func firstDue() -> (key: ObjectIdentifier, due: NIODeadline)? {
            var found: (key: ObjectIdentifier, due: NIODeadline)?
            for (key, entry) in entries {
                if let due = entry.due, due < found?.due ?? .distantFuture { found = (key, due) }
            }
            return found
        }
    }

    let bounds: Bounds
    private let state = Mutex(State())

    init(bounds: Bounds) { self.bounds = bounds }

    func opened(_ channel: any Channel) {
        let due = dueTime()
        state.withLock { $0.entries[ObjectIdentifier(channel)] = Entry(channel: channel, due: due) }
        makeRoom(on: channel.eventLoop)
    }

    /// The connection has a complete request in hand.
    func requestArrived(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.due = nil }
    }

    /// The connection was answered and waits for its next request.
    func answered(_ channel: any Channel) {
        let due = dueTime()
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.due = due }
        makeRoom(on: channel.eventLoop)
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    private func dueTime() -> NIODeadline {
        let wait = bounds.crowdedWait.nanoseconds
        return .now() + .nanoseconds(wait + Int64.random(in: 0..<max(1, wait)))
    }

    /// Closes what must go now, and comes back when the next waiting connection has waited
    /// long enough to go too.
    private func makeRoom(on loop: any EventLoop) {
        let now = NIODeadline.now()
        let (victims, sweep) = state.withLock { state -> ([any Channel], NIODeadline?) in
            var victims: [any Channel] = []
            while state.entries.count > bounds.soft, let first = state.firstDue() {
                guard state.entries.count > bounds.hard || first.due <= now else {
                    if let pending = state.sweepAt, pending <= first.due { return (victims, nil) }
                    state.sweepAt = first.due
                    return (victims, first.due)
                }
                victims.append(state.entries.removeValue(forKey: first.key)!.channel)
            }
            return (victims, nil)
        }
        // Later, never inside the callback of a connection (perhaps the victim) that got us here.
        for victim in victims { victim.eventLoop.execute { victim.close(promise: nil) } }
        if let sweep {
            loop.scheduleTask(deadline: sweep) { [self] in
                state.withLock { if $0.sweepAt == sweep { $0.sweepAt = nil } }
                makeRoom(on: loop)
            }
        }
    }
}
