import GaneshaControl

extension Supervisor {
    /// A monitor for our current connection when it is not the one `replacing` names;
    /// nil when there is nothing new to follow.
    func heartbeatMonitor(replacing: ObjectIdentifier?) -> (connection: ObjectIdentifier, monitor: HeartbeatMonitor)? {
        guard let client, ObjectIdentifier(client.connection) != replacing else { return nil }
        let monitor = HeartbeatMonitor(client: client)
        heartbeat = monitor
        heartbeatWatchedSince = .now
        return (ObjectIdentifier(client.connection), monitor)
    }

    /// Since the last heartbeat, or since watching began when none came yet.
    func heartbeatAge() -> Duration? {
        guard let since = heartbeat?.lastBeat ?? heartbeatWatchedSince else { return nil }
        return .now - since
    }
}
