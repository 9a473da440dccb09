import NIOCore
import Synchronization

/// The open connections of one listener, and who gives way when there are too many.
///
/// Refusing the newest connection at a fixed cap let whoever holds the slots, with a byte a
/// second each, lock out the kubelet, whose whole request arrives at once: its liveness probe
/// then restarted a healthy volume. Here the cap makes room instead. Beyond the soft cap, a
/// connection that has waited `crowdedWait` for its request (since it opened or since its
/// last answer) is closed, the longest-waiting first, until the soft cap is met again; a
/// connection whose request has arrived is never closed for room. Beyond the hard cap (open
/// files are finite) the longest-waiting connection goes at once, however young; when every
/// connection has a request in hand, that is the newest. Per-peer limits would not do: the
/// kubelet and an attacker in the same Pod network namespace share an address.
final class ConnectionTable: Sendable {
    struct Bounds: Sendable {
        var soft: Int
        var hard: Int
        var crowdedWait: TimeAmount
    }

    private struct Entry {
        let channel: any Channel
        /// nil while a complete request is being answered.
        var waitingSince: NIODeadline?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var sweepAt: NIODeadline?

        func longestWaiting() -> (key: ObjectIdentifier, since: NIODeadline)? {
            var found: (key: ObjectIdentifier, since: NIODeadline)?
            for (key, entry) in entries {
                if let since = entry.waitingSince, since < found?.since ?? .distantFuture { found = (key, since) }
            }
            return found
        }
    }

    let bounds: Bounds
    private let state = Mutex(State())

    init(bounds: Bounds) { self.bounds = bounds }

    func opened(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: .now()) }
        makeRoom(on: channel.eventLoop)
    }

    /// The connection has a complete request in hand.
    func requestArrived(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.waitingSince = nil }
    }

    /// The connection was answered and waits for its next request.
    func answered(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.waitingSince = .now() }
        makeRoom(on: channel.eventLoop)
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes what must go now, and comes back when the next waiting connection has waited
    /// long enough to go too.
    private func makeRoom(on loop: any EventLoop) {
        let now = NIODeadline.now()
        let (victims, sweep) = state.withLock { state -> ([any Channel], NIODeadline?) in
            var victims: [any Channel] = []
            while state.entries.count > bounds.soft, let waiting = state.longestWaiting() {
                let due = waiting.since + bounds.crowdedWait
                guard state.entries.count > bounds.hard || due <= now else {
                    if let pending = state.sweepAt, pending <= due { return (victims, nil) }
                    state.sweepAt = due
                    return (victims, due)
                }
                victims.append(state.entries.removeValue(forKey: waiting.key)!.channel)
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
