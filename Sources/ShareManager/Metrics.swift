import Prometheus

/// The Prometheus families of share-manager. Every family carries HELP text (promtool
/// rejects families without it) and the `volume` label.
final class ShareMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let up: Gauge
    let ganeshaUp: Gauge
    let exports: Gauge
    let filesystemReadOnly: Gauge
    let filesystemSize: Gauge
    let filesystemAvail: Gauge

    private let volume: String

    init(volume: String) {
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
        ganeshaUp = gauge("ganesha_up", "1 while the Ganesha child runs and answers D-Bus, else 0.")
        exports = gauge("exports", "Exports Ganesha reports active over D-Bus (the pseudo root not counted).")
        filesystemReadOnly = gauge(
            "filesystem_readonly",
            "1 when the volume's filesystem refuses writes (after an error or shutdown), else 0; a read-only share reports 0."
        )
        filesystemSize = gauge("filesystem_size_bytes", "Size of the volume's filesystem, from statvfs of its mount.")
        filesystemAvail = gauge("filesystem_avail_bytes", "Bytes available to unprivileged users on the volume's filesystem.")
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

    func render() -> String { registry.emitToString() }
}
