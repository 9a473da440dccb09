import Prometheus
import SupervisorInterface

/// Ganesha's own statistics and the process metrics of share-manager and Ganesha (from
/// /proc), refreshed by each /metrics scrape just before it renders.
///
/// Ganesha's counters restart from zero with Ganesha; they go through ``MonotonicFamily`` so
/// that Prometheus sees them only grow. The supervisor collects them within the scrape's
/// bound; when it could not, the previous values stay (stale but present) and
/// `share_manager_scrape_errors_total` rises.
final class GaneshaMetrics: Sendable {
    private let volume: String
    private let operations: MonotonicFamily
    private let bytes: MonotonicFamily
    private let exportOperations: MonotonicFamily
    private let errors: MonotonicFamily
    private let latency: MonotonicFamily
    private let clients: Gauge
    private let scrapeErrors: Counter
    private let ownProcess: ProcessMetrics
    private let ganeshaProcess: ProcessMetrics

    init(registry: PrometheusCollectorRegistry, volume: String) {
        self.volume = volume
        func family(_ name: String, _ unit: String, rawPerUnit: UInt64 = 1, _ help: String) -> MonotonicFamily {
            MonotonicFamily(registry, name, unit: unit, rawPerUnit: rawPerUnit, help: help)
        }
        let kept = "; kept monotonic across Ganesha restarts"
        operations = family("nfs_operations", "total", "NFS requests Ganesha counted per NFS version (GetGlobalOPS)\(kept).")
        bytes = family("export_bytes", "total", "Bytes Ganesha read or wrote for clients, per export and NFS version\(kept).")
        exportOperations = family("export_operations", "total", "READ or WRITE operations per export and NFS version\(kept).")
        errors = family("export_errors", "total", "READ or WRITE operations that failed, per export and NFS version\(kept).")
        latency = family(
            "export_latency_seconds", "total", rawPerUnit: 1_000_000_000,
            "Time Ganesha spent in READ or WRITE operations, summed; divide by operations for the mean\(kept).")
        let labels = [("volume", volume)]
        clients = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "share_manager", metricName: "clients_connected", unitName: "",
                helpText: "Client addresses Ganesha lists (ShowClients) that used an NFS protocol (our readiness probe's NULL calls do not count): clients behind one address count once; one stays listed a while after it leaves."),
            labels: labels)
        scrapeErrors = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "share_manager", metricName: "scrape_errors", unitName: "total",
                helpText: "Scrapes whose Ganesha statistics failed or timed out; their values were the previous ones."),
            labels: labels)
        let cpu = family("process_cpu_seconds", "total", rawPerUnit: ProcessMetrics.ticksPerSecond, "User and system CPU time of the process.")
        ownProcess = ProcessMetrics(process: "share-manager", volume: volume, registry: registry, cpu: cpu)
        ganeshaProcess = ProcessMetrics(process: "ganesha", volume: volume, registry: registry, cpu: cpu)
    }

    /// Reads both processes from /proc and applies Ganesha's counters, when the sample has them.
    func apply(_ sample: MetricsSample) {
        ownProcess.update(pid: nil)
        if let pid = sample.ganeshaPid { ganeshaProcess.update(pid: pid) }
        if let counters = sample.statistics { apply(counters) }
        if sample.statisticsFailed { scrapeErrors.increment() }
    }

    /// Feeds one set of counters from the Ganesha run `counters.epoch` names.
    func apply(_ counters: GaneshaCounters) {
        // Only versions present: a missing one read as 0 would look like a restart.
        for (version, count) in counters.operations.sorted(by: { $0.key < $1.key }) {
            operations.record(count, epoch: counters.epoch, labels: [("volume", volume), ("nfs_version", version)])
        }
        for entry in counters.io {
            for (direction, values) in [("read", entry.read), ("write", entry.write)] {
                let labels = [
                    ("volume", volume), ("export_id", String(entry.exportID)),
                    ("nfs_version", entry.nfsVersion), ("direction", direction),
                ]
                bytes.record(values.transferredBytes, epoch: counters.epoch, labels: labels)
                exportOperations.record(values.operations, epoch: counters.epoch, labels: labels)
                errors.record(values.errors, epoch: counters.epoch, labels: labels)
                latency.record(values.latencyNanoseconds, epoch: counters.epoch, labels: labels)
            }
        }
        clients.set(Double(counters.clientsConnected))
    }
}
