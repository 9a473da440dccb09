import LiveHTTP
@testable import ShareAPI
import SupervisorInterface
import Testing

@Suite("/metrics over a live server: families, HELP, one ganesha_up, counters monotonic across a Ganesha restart")
struct MetricsRouteTests {
    static func sample(epoch: UInt64, nfs41: UInt64, written: UInt64, port: UInt16 = 2049) -> MetricsSample {
        var sample = MetricsSample()
        sample.ganeshaUp = true
        sample.ganeshaPid = nil
        sample.exportsActive = 1
        sample.endpoint = NFSEndpoint(volume: "vol", address: "10.0.0.1", port: port, pid: 42)
        sample.idmapDomain = "example.org"
        sample.filesystem = .full(summary: "no inodes left", resources: ["inodes"])
        sample.space = .init(sizeBytes: 1 << 30, availableBytes: 1 << 20, files: 1000, filesFree: 0)
        sample.grace = .init(active: true, remainingSeconds: 42, recordedClients: 3, reclaimedClients: 1, pending: ["a", "b"])
        sample.ganeshaRestarts = 2
        sample.recordWriteFailures = 1
        sample.heartbeatAge = .milliseconds(1500)
        let io = GaneshaCounters.Counters(transferredBytes: written, operations: written / 1024, errors: 0, latencyNanoseconds: 2_000_000_000)
        sample.statistics = GaneshaCounters(
            epoch: epoch, operations: ["4.1": nfs41, "4.2": 1],
            io: [.init(exportID: 1, nfsVersion: "4.1", read: io, write: io)], clientsConnected: 2)
        return sample
    }

    static let families = [
        "up", "build_info", "ganesha_up", "exports", "filesystem_readonly", "filesystem_size_bytes", "filesystem_avail_bytes",
        "filesystem_files", "filesystem_files_free", "heartbeat_age_seconds", "grace_active", "grace_remaining_seconds",
        "recovery_clients", "reclaimed_clients", "ganesha_restarts_total", "recovery_record_failures_total", "volume_full",
        "endpoint_info", "idmap_domain_info", "nfs_operations_total", "export_bytes_total", "export_operations_total",
        "export_errors_total", "export_latency_seconds_total", "clients_connected", "scrape_errors_total",
        "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds", "process_cpu_seconds_total",
    ].map { "share_manager_" + $0 }

    @Test("every family is present, each with HELP before its TYPE, and the values follow the sample")
    func families() async throws {
        let fake = FakeSupervisor()
        await fake.set(sample: Self.sample(epoch: 1, nfs41: 40, written: 4096))
        let response = try await withProbes(fake) { try await LiveHTTP.request($0, "GET", "/metrics") }
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let lines = response.body.split(separator: "\n")
        let typed = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        for family in Self.families {
            #expect(typed.contains(Substring(family)), "\(family) missing")
        }
        for (index, line) in lines.enumerated() where line.hasPrefix("# TYPE ") {
            let name = line.split(separator: " ")[2]
            #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) "), "\(name) has no HELP")
        }
        let values = Self.values(response.body)
        #expect(values[#"share_manager_ganesha_up{volume="vol"}"#] == 1)
        #expect(values[#"share_manager_build_info{volume="vol",version="0.0.0-test"}"#] == 1)
        #expect(values[#"share_manager_volume_full{volume="vol",resource="inodes"}"#] == 1)
        #expect(values[#"share_manager_volume_full{volume="vol",resource="blocks"}"#] == 0)
        #expect(values[#"share_manager_filesystem_readonly{volume="vol"}"#] == 0)
        #expect(values[#"share_manager_grace_remaining_seconds{volume="vol"}"#] == 42)
        #expect(values[#"share_manager_heartbeat_age_seconds{volume="vol"}"#] == 1.5)
        #expect(values[#"share_manager_endpoint_info{volume="vol",address="10.0.0.1",port="2049"}"#] == 1)
        #expect(values[#"share_manager_export_latency_seconds_total{volume="vol",export_id="1",nfs_version="4.1",direction="write"}"#] == 2)
    }

    @Test("a fake Ganesha restart (new epoch, lower counts): no counter goes down; a failed collection counts a scrape error")
    func monotonicAcrossRestart() async throws {
        let fake = FakeSupervisor()
        try await withProbes(fake) { try await Self.restartScenario(fake, $0) }
    }

    static func restartScenario(_ fake: FakeSupervisor, _ target: LiveHTTP.Target) async throws {
        let operations = #"share_manager_nfs_operations_total{volume="vol",nfs_version="4.1"}"#
        let written = #"share_manager_export_bytes_total{volume="vol",export_id="1",nfs_version="4.1",direction="write"}"#
        let errors = #"share_manager_scrape_errors_total{volume="vol"}"#
        let restarts = #"share_manager_ganesha_restarts_total{volume="vol"}"#
        let first = try await scrape(fake, target, sample(epoch: 1, nfs41: 40, written: 1_000_000))
        #expect(first[operations] == 40 && first[written] == 1_000_000 && first[errors] == 0 && first[restarts] == 2)

        // Restarted: fewer operations, yet more bytes than before; both add to the totals.
        var restarted = sample(epoch: 2, nfs41: 5, written: 2_000_000)
        restarted.ganeshaRestarts = 3
        let second = try await scrape(fake, target, restarted)
        #expect(second[operations] == 45 && second[written] == 3_000_000 && second[restarts] == 3)

        // The supervisor could not ask in time: the same (stale) counters, one scrape error.
        restarted.statisticsFailed = true
        restarted.ganeshaRestarts = 1  // a count going back never lowers the counter
        let third = try await scrape(fake, target, restarted)
        #expect(third[operations] == 45 && third[written] == 3_000_000 && third[errors] == 1 && third[restarts] == 3)
        for (series, value) in second where series.contains("_total{") {
            #expect((third[series] ?? -1) >= value, "\(series) went down")
        }
    }

    @Test("ganesha_up has one writer: it follows the sample, whatever /healthz was asked before")
    func ganeshaUpFromSampleOnly() async throws {
        let fake = FakeSupervisor()
        try await withProbes(fake) { target in
            var down = MetricsSample()
            down.ganeshaUp = false
            await fake.set(sample: down)
            _ = try await LiveHTTP.request(target, "GET", "/healthz")  // healthy facts: 200
            #expect(Self.values(try await LiveHTTP.request(target, "GET", "/metrics").body)[#"share_manager_ganesha_up{volume="vol"}"#] == 0)
            await fake.set(sample: Self.sample(epoch: 1, nfs41: 1, written: 1))
            #expect(Self.values(try await LiveHTTP.request(target, "GET", "/metrics").body)[#"share_manager_ganesha_up{volume="vol"}"#] == 1)
        }
    }

    @Test("a new NFS port replaces endpoint_info: never two endpoints for one volume")
    func endpointReplaced() async throws {
        let fake = FakeSupervisor()
        let body = try await withProbes(fake) { target in
            await fake.set(sample: Self.sample(epoch: 1, nfs41: 1, written: 1, port: 2049))
            _ = try await LiveHTTP.request(target, "GET", "/metrics")
            await fake.set(sample: Self.sample(epoch: 1, nfs41: 1, written: 1, port: 40000))
            return try await LiveHTTP.request(target, "GET", "/metrics").body
        }
        let series = body.split(separator: "\n").filter { $0.hasPrefix("share_manager_endpoint_info{") }
        #expect(series == [#"share_manager_endpoint_info{volume="vol",address="10.0.0.1",port="40000"} 1.0"#])
    }

    /// Sets the fake's next sample and scrapes once.
    static func scrape(_ fake: FakeSupervisor, _ target: LiveHTTP.Target, _ sample: MetricsSample) async throws -> [String: Double] {
        await fake.set(sample: sample)
        return values(try await LiveHTTP.request(target, "GET", "/metrics").body)
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
