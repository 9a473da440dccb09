/// Everything the probes, the metrics and the control API may ask of the supervisor, and
/// all they may ask: they never reach Ganesha, the bus or the device themselves. The
/// supervisor owns those and serialises every change (one path makes the export exist).
///
/// Calls that ask Ganesha bound themselves (about 1 s for probes and scrapes, 2 s for the
/// control API), so a hung Ganesha never hangs a probe.
public protocol ShareSupervising: Sendable {
    /// For liveness: facts the supervisor already holds; never calls Ganesha.
    func healthFacts() async -> HealthFacts
    /// For readiness: asks Ganesha whether the export is active and makes an RPC NULL call
    /// on the NFS port, both only while serving and not taken offline.
    func readinessFacts() async -> ReadinessFacts
    /// What /metrics shows, collected within the scrape's bound; stale values are kept
    /// (and `statisticsFailed` set) when Ganesha does not answer in time.
    func metricsSample() async -> MetricsSample
    func status() async -> ControlMessage.Status
    func clients() async -> ControlMessage.Clients
    /// Takes the export offline (clients get ESTALE) or brings it back with the same ids.
    func setExport(online: Bool) async throws(ControlError) -> ControlMessage.Result
    func grow() async throws(ControlError) -> ControlMessage.Resize
    func trim() async throws(ControlError) -> ControlMessage.Trim
    /// share-manager's own level, Ganesha's, or both (names validated by the supervisor).
    func setLogLevel(_ request: ControlMessage.LogLevel) async throws(ControlError) -> ControlMessage.Result
}
