import Glibc
import Prometheus
@testable import ShareAPI
import SupervisorInterface
import Testing

@Suite("Ganesha statistics: monotonic counters and /proc parsing")
struct StatisticsTests {
    @Test("a reading below the last one is a restart: the old total becomes the offset")
    func restartByLowerReading() {
        var value = MonotonicValue()
        #expect(value.advance(to: 100) == 100)
        #expect(value.advance(to: 150) == 50)
        #expect(value.advance(to: 30) == 30)
        #expect(value.total == 180)
        #expect(value.advance(to: 30) == 0)
        #expect(value.advance(to: 0) == 0)
        #expect(value.total == 180)
    }

    @Test("a new epoch is a restart even when the new source already counted past the old reading")
    func restartByEpoch() {
        var value = MonotonicValue()
        #expect(value.advance(to: 100, epoch: 7) == 100)
        #expect(value.advance(to: 250, epoch: 9) == 250)
        #expect(value.total == 350)
        #expect(value.advance(to: 260, epoch: 9) == 10)
        // No epoch known: only a lower reading counts as a restart.
        #expect(value.advance(to: 270, epoch: nil) == 10)
    }

    @Test("the total saturates instead of trapping or wrapping")
    func saturates() {
        var value = MonotonicValue()
        _ = value.advance(to: .max - 1)
        #expect(value.advance(to: 5) == 1)
        #expect(value.total == .max)
        #expect(value.advance(to: 6) == 0)
    }

    @Test("two collections with a Ganesha restart between them: no counter goes down, nothing traps")
    func restartBetweenCollections() {
        let registry = PrometheusCollectorRegistry()
        let statistics = GaneshaMetrics(registry: registry, volume: "vol")
        statistics.apply(sample(v41: 40, writeBytes: 1_048_576, readBytes: 2048, latencyNanoseconds: 1_500_000_000, clients: 3, epoch: 1))
        let before = MetricsRouteTests.values(registry.emitToString())
        #expect(before[#"share_manager_nfs_operations_total{volume="vol",nfs_version="4.1"}"#] == 40)
        #expect(before[Self.export("bytes", "write")] == 1_048_576)
        #expect(before[Self.export("latency_seconds", "write")] == 1.5)
        #expect(before[#"share_manager_clients_connected{volume="vol"}"#] == 3)

        // Restarted (new epoch): fewer operations, yet more bytes written than before.
        statistics.apply(sample(v41: 5, writeBytes: 2_000_000, readBytes: 10, latencyNanoseconds: 500_000_000, clients: 1, epoch: 2))
        let after = MetricsRouteTests.values(registry.emitToString())
        for (series, old) in before where series.contains("_total") {
            #expect((after[series] ?? -1) >= old, "\(series) went from \(old) to \(after[series] ?? -1)")
        }
        #expect(after[#"share_manager_nfs_operations_total{volume="vol",nfs_version="4.1"}"#] == 45)
        #expect(after[Self.export("bytes", "write")] == 3_048_576)
        #expect(after[Self.export("bytes", "read")] == 2058)
        #expect(after[Self.export("latency_seconds", "write")] == 2.0)
        #expect(after[#"share_manager_clients_connected{volume="vol"}"#] == 1)
    }

    @Test("/proc/PID/stat: fields are counted from the last parenthesis of the name")
    func parseStat() throws {
        let line = "4242 (ganesha (x) y) S 1 4242 4242 0 -1 4194560 9 0 0 0 "
            + "150 25 0 0 20 0 12 0 98765 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"
        let stat = try #require(ProcessStat(stat: line))
        #expect(stat.state == "S" && stat.cpuTicks == 175 && stat.startTicks == 98765 && stat.residentPages == 2048)
        #expect(ProcessStat(stat: "4242 (short) S 1 2") == nil)
        #expect(ProcessStat(stat: "4242 (zombie) Z" + String(repeating: " 0", count: 30))?.isAlive == false)
    }

    @Test("/proc reads of this process: alive, resident, with open descriptors and a boot time")
    func readSelf() throws {
        let own = try #require(ProcessStat.read(pid: nil))
        #expect(own.residentPages > 0 && own.isAlive)
        #expect(ProcessStat.read(pid: getpid())?.startTicks == own.startTicks)
        #expect((ProcFS.openFDs(pid: nil) ?? 0) >= 3)
        #expect(ProcFS.bootTime(procStat: "cpu 1 2 3\nbtime 1700000000\nprocesses 5\n") == 1_700_000_000)
        #expect(ProcFS.bootTime(procStat: try #require(ProcFS.read("/proc/stat"))) ?? 0 > 1_000_000_000)
        #expect(ProcessStat.read(pid: 0x3fff_fff0) == nil)
    }

    @Test("a sample without Ganesha: process metrics of share-manager only, no scrape error")
    func sampleWithoutGanesha() async {
        let registry = PrometheusCollectorRegistry()
        GaneshaMetrics(registry: registry, volume: "vol").apply(MetricsSample())
        let values = MetricsRouteTests.values(registry.emitToString())
        #expect(values[#"share_manager_scrape_errors_total{volume="vol"}"#] == 0)
        #expect((values[#"share_manager_process_resident_memory_bytes{volume="vol",process="share-manager"}"#] ?? 0) > 0)
        #expect((values[#"share_manager_process_open_fds{volume="vol",process="share-manager"}"#] ?? 0) > 0)
        #expect((values[#"share_manager_process_start_time_seconds{volume="vol",process="share-manager"}"#] ?? 0) > 1e9)
        #expect(values[#"share_manager_process_cpu_seconds_total{volume="vol",process="share-manager"}"#] != nil)
    }

    private func sample(
        v41: UInt64, writeBytes: UInt64, readBytes: UInt64, latencyNanoseconds: UInt64, clients: Int, epoch: UInt64
    ) -> GaneshaCounters {
        func counters(_ bytes: UInt64, _ latency: UInt64) -> GaneshaCounters.Counters {
            .init(transferredBytes: bytes, operations: bytes / 1024, errors: 0, latencyNanoseconds: latency)
        }
        return GaneshaCounters(
            epoch: epoch, operations: ["3": 0, "4.0": 0, "4.1": v41, "4.2": 1],
            io: [.init(exportID: 1, nfsVersion: "4.1", read: counters(readBytes, 0), write: counters(writeBytes, latencyNanoseconds))],
            clientsConnected: clients)
    }

    private static func export(_ family: String, _ direction: String) -> String {
        #"share_manager_export_\#(family)_total{volume="vol",export_id="1",nfs_version="4.1",direction="\#(direction)"}"#
    }
}
