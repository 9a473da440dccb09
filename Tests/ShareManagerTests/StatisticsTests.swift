import GaneshaControl
import Glibc
import Prometheus
@testable import ShareAPI
@testable import Supervisor
import SupervisorInterface
import Testing

@Suite("Ganesha statistics: monotonic counters, /proc parsing, bounded waits")
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
        let before = Self.values(registry.emitToString())
        #expect(before[#"share_manager_nfs_operations_total{volume="vol",nfs_version="4.1"}"#] == 40)
        #expect(before[Self.export("bytes", "write")] == 1_048_576)
        #expect(before[Self.export("latency_seconds", "write")] == 1.5)
        #expect(before[#"share_manager_clients_connected{volume="vol"}"#] == 3)

        // Restarted (new epoch): fewer operations, yet more bytes written than before.
        statistics.apply(sample(v41: 5, writeBytes: 2_000_000, readBytes: 10, latencyNanoseconds: 500_000_000, clients: 1, epoch: 2))
        let after = Self.values(registry.emitToString())
        for (series, old) in before where series.contains("_total") {
            #expect((after[series] ?? -1) >= old, "\(series) went from \(old) to \(after[series] ?? -1)")
        }
        #expect(after[#"share_manager_nfs_operations_total{volume="vol",nfs_version="4.1"}"#] == 45)
        #expect(after[Self.export("bytes", "write")] == 3_048_576)
        #expect(after[Self.export("bytes", "read")] == 2058)
        #expect(after[Self.export("latency_seconds", "write")] == 2.0)
        #expect(after[#"share_manager_clients_connected{volume="vol"}"#] == 1)
    }

    @Test("versions are labelled as people write them")
    func versionLabels() {
        #expect(StatisticsCollector.versionLabel("NFSv41") == "4.1")
        #expect(StatisticsCollector.versionLabel("NFSv40") == "4.0")
        #expect(StatisticsCollector.versionLabel("NFSv3") == "3")
        #expect(StatisticsCollector.versionLabel("NLM4") == "NLM4")
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
        let values = Self.values(registry.emitToString())
        #expect(values[#"share_manager_scrape_errors_total{volume="vol"}"#] == 0)
        #expect((values[#"share_manager_process_resident_memory_bytes{volume="vol",process="share-manager"}"#] ?? 0) > 0)
        #expect((values[#"share_manager_process_open_fds{volume="vol",process="share-manager"}"#] ?? 0) > 0)
        #expect((values[#"share_manager_process_start_time_seconds{volume="vol",process="share-manager"}"#] ?? 0) > 1e9)
        #expect(values[#"share_manager_process_cpu_seconds_total{volume="vol",process="share-manager"}"#] != nil)
    }

    @Test("a deadline returns nil for a late task without waiting for it, and the value of a prompt one")
    func deadline() async {
        let slow = Task { try? await Task.sleep(for: .seconds(30)); return 1 }
        let started = ContinuousClock.now
        #expect(await Deadline.value(of: slow, within: .milliseconds(50)) == nil)
        // Far below the late task's 30 s, with room for a loaded two-core machine.
        #expect(ContinuousClock.now - started < .seconds(15))
        slow.cancel()
        #expect(await Deadline.value(of: Task { 2 }, within: .seconds(5)) == 2)
    }

    private func sample(
        v41: UInt64, writeBytes: UInt64, readBytes: UInt64, latencyNanoseconds: UInt64, clients: Int, epoch: UInt64
    ) -> GaneshaCounters {
        let since = GaneshaTimestamp(seconds: 1_700_000_000, nanoseconds: 0)
        func counters(_ bytes: UInt64, _ latency: UInt64) -> IOCounters {
            IOCounters(requested: bytes, transferred: bytes, operations: bytes / 1024, errors: 0, latencyNanoseconds: latency)
        }
        let io = IOStatistics(read: counters(readBytes, 0), write: counters(writeBytes, latencyNanoseconds), since: since)
        return StatisticsCollector.counters(
            global: GlobalOperations(counts: ["NFSv3": 0, "NFSv40": 0, "NFSv41": v41, "NFSv42": 1, "NLM4": 0], since: since),
            io: [ExportProtocolIO(exportID: 1, protocolName: "NFSv41", statistics: io)], clients: clients, epoch: epoch)
    }

    private static func export(_ family: String, _ direction: String) -> String {
        #"share_manager_export_\#(family)_total{volume="vol",export_id="1",nfs_version="4.1",direction="\#(direction)"}"#
    }

    /// Series → value of a rendered registry.
    static func values(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }
}
