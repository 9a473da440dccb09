import Prometheus
import SupervisorInterface
import Synchronization

/// The Prometheus families of share-manager. Every family carries HELP text (promtool
/// rejects families without it) and the `volume` label.
public final class ShareMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let up: Gauge
    let ganeshaUp: Gauge
    let exports: Gauge
    let filesystemReadOnly: Gauge
    let filesystemSize: Gauge
    let filesystemAvail: Gauge
    let filesystemFiles: Gauge
    let filesystemFilesFree: Gauge
    let heartbeatAge: Gauge
    let graceActive: Gauge
    let graceRemaining: Gauge
    let recoveryClients: Gauge
    let reclaimedClients: Gauge
    let connectionKeeping: Gauge
    let keptConnections: Gauge
    /// Ganesha's own counters and the processes' resources, refreshed at each scrape.
    let statistics: GaneshaMetrics
    private let restarts: Counter
    private let countedRestarts = Mutex(0)

    private let volume: String

    /// `version` is share-manager's, shown by `share_manager_build_info`.
    public init(volume: String, version: String) {
        self.volume = volume
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let labels = [("volume", volume)]
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "share_manager", metricName: name, unitName: "", helpText: help),
                labels: labels
            )
        }
        up = gauge("up", "1 while share-manager runs.")
        ganeshaUp = gauge("ganesha_up", "1 while the Ganesha child runs and its D-Bus heartbeat is fresh (under 10 s), else 0.")
        exports = gauge("exports", "Exports Ganesha reports active over D-Bus (the pseudo root not counted).")
        filesystemReadOnly = gauge(
            "filesystem_readonly",
            "1 when the volume's filesystem refuses writes (after an error or shutdown), else 0; a read-only share reports 0."
        )
        filesystemSize = gauge("filesystem_size_bytes", "Size of the volume's filesystem, from statvfs of its mount.")
        filesystemAvail = gauge("filesystem_avail_bytes", "Bytes available to unprivileged users on the volume's filesystem.")
        filesystemFiles = gauge("filesystem_files", "Inodes of the volume's filesystem, from statvfs of its mount.")
        filesystemFilesFree = gauge("filesystem_files_free", "Free inodes of the volume's filesystem.")
        heartbeatAge = gauge(
            "heartbeat_age_seconds",
            "Seconds since Ganesha's last D-Bus heartbeat (it beats about once a second while healthy)."
        )
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "share_manager", metricName: "build_info", unitName: "",
                helpText: "The running share-manager's version, as a label; always 1."
            ),
            labels: labels + [("version", version)]
        ).set(Double(1))
        statistics = GaneshaMetrics(registry: registry, volume: volume)
        graceActive = gauge("grace_active", "1 while Ganesha's NFSv4 grace period lasts (only reclaims are served), else 0.")
        graceRemaining = gauge("grace_remaining_seconds", "Seconds left of the configured grace period; Ganesha may lift it earlier.")
        recoveryClients = gauge("recovery_clients", "Client records Ganesha loaded from the recovery store for the current or last grace period.")
        reclaimedClients = gauge("reclaimed_clients", "Of those records, clients that have completed their reclaim.")
        connectionKeeping = gauge(
            "connection_keeping",
            "1 while clients' connections are kept open across a Ganesha restart (--keep-connections); 0 when off or refused (pidfd_getfd: the log says why)."
        )
        keptConnections = gauge("kept_connections", "Client connections share-manager holds a duplicate of, so that they outlive a Ganesha restart.")
        restarts = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "share_manager", metricName: "ganesha_restarts", unitName: "total",
                helpText: "Times share-manager restarted Ganesha in place after it died."
            ),
            labels: labels
        )
        up.set(Double(1))
    }

    /// `share_manager_idmap_domain_info{domain}` 1: an info metric, so a dashboard can compare
    /// the server's domain with the clients'.
    func recordIdmapDomain(_ domain: String) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "share_manager", metricName: "idmap_domain_info", unitName: "",
                helpText: "The NFSv4 ID-mapping domain Ganesha uses for this volume, as a label; always 1."
            ),
            labels: [("volume", volume), ("domain", domain)]
        ).set(Double(1))
    }

    private let endpoint = Mutex<(NFSEndpoint, Gauge)?>(nil)

    /// `share_manager_endpoint_info{address,port}` 1, replaced when Ganesha's port changes, so
    /// that a query never sees two endpoints of one volume.
    func recordEndpoint(_ now: NFSEndpoint) {
        endpoint.withLock { current in
            if let (previous, gauge) = current {
                if previous.address == now.address && previous.port == now.port { return }
                registry.unregisterGauge(gauge)
            }
            let gauge = registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "share_manager", metricName: "endpoint_info", unitName: "",
                    helpText: "Where Ganesha listens for NFS (address and port as labels); always 1."
                ),
                labels: [("volume", volume), ("address", now.address), ("port", String(now.port))]
            )
            gauge.set(Double(1))
            current = (now, gauge)
        }
    }

    /// The counter follows the runtime's count; it only ever moves up.
    func setRestarts(_ total: Int) {
        let delta = countedRestarts.withLock { counted -> Int in
            defer { counted = max(counted, total) }
            return max(0, total - counted)
        }
        if delta > 0 { restarts.increment(by: Int64(delta)) }
    }

    // Recovery records Ganesha could not write (see RecordWriteFailures).
    private let recordWriteFailures = Mutex<Counter?>(nil)
    private let countedRecordWriteFailures = Mutex(0)

    /// `share_manager_recovery_record_failures_total`: follows the runtime's count, only up.
    func setRecordWriteFailures(_ total: Int) {
        let counter = recordWriteFailures.withLock { counter in
            if let counter { return counter }
            let made = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "share_manager", metricName: "recovery_record_failures", unitName: "total",
                    helpText: "Client recovery records Ganesha failed to write (volume full): those clients lose their opens and locks in a Ganesha crash or failover."
                ),
                labels: [("volume", volume)]
            )
            counter = made
            return made
        }
        let delta = countedRecordWriteFailures.withLock { counted -> Int in
            defer { counted = max(counted, total) }
            return max(0, total - counted)
        }
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }

    /// What can run out on a volume (VolumeSpace.Resource on the supervisor's side).
    static let resources = ["blocks", "inodes"]

    // Full volume (issue 16 row 7): one block, apart from the other families.
    private var volumeFull: [(String, Gauge)] {
        Self.resources.map { resource in
            (resource, registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "share_manager", metricName: "volume_full", unitName: "",
                    helpText: "1 while clients' writes fail for want of this resource (blocks or inodes, quota included), else 0; not a liveness failure."
                ),
                labels: [("volume", volume), ("resource", resource)]
            ))
        }
    }

    /// The write probe's verdict: read-only and full are two gauges, since only the first
    /// is a failure a restart can cure.
    func recordHealth(_ health: FilesystemCondition) {
        let readOnly = if case .readOnly = health { true } else { false }
        filesystemReadOnly.set(Double(readOnly ? 1 : 0))
        let full = if case .full(_, let resources) = health { resources } else { [String]() }
        for (resource, gauge) in volumeFull { gauge.set(Double(full.contains(resource) ? 1 : 0)) }
    }

    /// Sets every family from one scrape's sample; a value the sample lacks keeps its last.
    func apply(_ sample: MetricsSample) {
        ganeshaUp.set(Double(sample.ganeshaUp ? 1 : 0))
        if let active = sample.exportsActive { exports.set(Double(active)) }
        if let endpoint = sample.endpoint { recordEndpoint(endpoint) }
        if let domain = sample.idmapDomain { recordIdmapDomain(domain) }
        if let filesystem = sample.filesystem { recordHealth(filesystem) }
        if let space = sample.space {
            filesystemSize.set(Double(space.sizeBytes))
            filesystemAvail.set(Double(space.availableBytes))
            filesystemFiles.set(Double(space.files))
            filesystemFilesFree.set(Double(space.filesFree))
        }
        if let grace = sample.grace {
            graceActive.set(Double(grace.active ? 1 : 0))
            graceRemaining.set(Double(grace.remainingSeconds))
            recoveryClients.set(Double(grace.recordedClients))
            reclaimedClients.set(Double(grace.reclaimedClients))
        }
        setRestarts(sample.ganeshaRestarts)
        connectionKeeping.set(Double(sample.keptConnections == nil ? 0 : 1))
        keptConnections.set(Double(sample.keptConnections ?? 0))
        setRecordWriteFailures(sample.recordWriteFailures)
        if let age = sample.heartbeatAge {
            heartbeatAge.set(Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18)
        }
        statistics.apply(sample)
    }

    func render() -> String { registry.emitToString() }
}
