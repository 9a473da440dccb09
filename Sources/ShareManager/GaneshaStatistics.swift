import GaneshaControl
import Glibc
import Prometheus
import Synchronization

/// Ganesha's own statistics (over D-Bus) and the process metrics of share-manager and
/// Ganesha (from /proc), refreshed by each /metrics scrape just before it renders.
///
/// Ganesha's counters restart from zero with Ganesha; they go through ``MonotonicFamily`` so
/// that Prometheus sees them only grow. A hung Ganesha costs a scrape at most `timeout`: the
/// previous values stay (stale but present) and `share_manager_scrape_errors_total` rises.
final class GaneshaStatistics: Sendable {
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
    /// The fetch under way: later scrapes wait for it rather than queue more calls behind a
    /// hung one (a connection's calls run one at a time, and /healthz uses it too).
    private let inFlight = Mutex<Task<Bool, Never>?>(nil)

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
                helpText: "Client addresses Ganesha lists (ShowClients): clients behind one address count once; one stays listed a while after it leaves."),
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

    /// Refreshes every family; returns within about `timeout` whatever Ganesha does.
    /// `ganeshaPid` is the running Ganesha's; nil (or a dead one) skips the D-Bus part.
    func collect(client: GaneshaClient?, ganeshaPid: pid_t?, timeout: Duration) async {
        ownProcess.update(pid: nil)
        let ganesha = ganeshaPid.flatMap { ganeshaProcess.update(pid: $0) }
        // Nothing to ask while Ganesha does not run; share_manager_ganesha_up says so.
        guard let client, let ganeshaPid, let ganesha else { return }
        let fetch = inFlight.withLock { current in
            if let current { return current }
            let task = Task { await self.fetch(client, pid: ganeshaPid, startTicks: ganesha.startTicks, timeout: timeout) }
            current = task
            return task
        }
        if await Deadline.value(of: fetch, within: timeout) != true { scrapeErrors.increment() }
    }

    /// Asks Ganesha and applies the answers; runs to its end even when the scrape stopped
    /// waiting (late answers are applied then: counters only move on).
    private func fetch(_ client: GaneshaClient, pid: pid_t, startTicks: UInt64, timeout: Duration) async -> Bool {
        defer { inFlight.withLock { $0 = nil } }
        // libdbus bounds each call too, so a hung Ganesha holds the shared connection for at
        // most `timeout` per call, and the first timeout ends the fetch.
        let bounded = GaneshaClient(
            connection: client.connection, busName: client.busName, callTimeout: min(timeout, client.callTimeout))
        do {
            let sample = GaneshaSample(
                global: try await bounded.globalOperations(), io: try await bounded.allExportIO(),
                clients: try await bounded.showClients().count)
            // Answers from a Ganesha that restarted meanwhile would get the old one's epoch.
            guard ProcessStat.read(pid: pid)?.startTicks == startTicks else { return false }
            apply(sample, epoch: startTicks)
            return true
        } catch {
            return false
        }
    }

    /// Feeds one set of answers from the Ganesha that started at `epoch` (ticks after boot).
    func apply(_ sample: GaneshaSample, epoch: UInt64?) {
        // Only versions present: a missing one read as 0 would look like a restart.
        for version in NFSVersion.allCases {
            guard let count = sample.global.counts[version.rawValue] else { continue }
            operations.record(count, epoch: epoch, labels: [("volume", volume), ("nfs_version", Self.versionLabel(version.rawValue))])
        }
        for entry in sample.io {
            for (direction, counters) in [("read", entry.statistics.read), ("write", entry.statistics.write)] {
                let labels = [
                    ("volume", volume), ("export_id", String(entry.exportID)),
                    ("nfs_version", Self.versionLabel(entry.protocolName)), ("direction", direction),
                ]
                bytes.record(counters.transferred, epoch: epoch, labels: labels)
                exportOperations.record(counters.operations, epoch: epoch, labels: labels)
                errors.record(counters.errors, epoch: epoch, labels: labels)
                latency.record(counters.latencyNanoseconds, epoch: epoch, labels: labels)
            }
        }
        clients.set(Double(sample.clients))
    }

    /// `NFSv41` → `4.1`, `NFSv3` → `3`: the version as people write it.
    static func versionLabel(_ name: String) -> String {
        let digits = name.hasPrefix("NFSv") ? name.dropFirst(4) : Substring(name)
        return digits.count == 2 ? "\(digits.prefix(1)).\(digits.suffix(1))" : String(digits)
    }
}

/// One round of Ganesha's answers.
struct GaneshaSample: Sendable {
    var global: GlobalOperations
    var io: [ExportProtocolIO]
    var clients: Int
}
