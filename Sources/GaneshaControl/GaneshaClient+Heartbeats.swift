import DBusKit

extension GaneshaClient {
    /// The heartbeat signal: path, interface and member, as Ganesha 4.3 sends it with body `(b)`.
    static let heartbeatRule = (
        path: "/org/ganesha/nfsd/heartbeat", interface: "org.ganesha.nfsd.admin", member: "heartbeat")

    /// Ganesha's heartbeats (about one a second, `heartbeat_freq`, and only while healthy).
    ///
    /// The subscription has its own bus connection and thread, so slow calls on
    /// ``connection`` do not delay beats here (Ganesha itself sends beats from the thread that
    /// answers calls, so a slow call delays them there). Only signals from the current owner
    /// of ``busName`` count. The stream finishes when the bus goes away; cancelling the
    /// consuming task ends the subscription. Fails when the bus cannot be reached.
    public func heartbeats(bufferingNewest limit: Int = 16) async throws(GaneshaError) -> AsyncStream<Heartbeat> {
        let rule = DBusMatchRule(
            sender: busName, path: Self.heartbeatRule.path, interface: Self.heartbeatRule.interface,
            member: Self.heartbeatRule.member)
        do {
            return try await connection.signals(matching: rule, bufferingNewest: limit, timeout: callTimeout) { signal in
                signal.values.first?.bool.map { Heartbeat(healthy: $0, received: signal.received, serial: signal.serial) }
            }
        } catch {
            throw GaneshaError(error, method: "AddMatch heartbeat")
        }
    }
}
