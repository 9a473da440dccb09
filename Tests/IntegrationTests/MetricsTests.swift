import Foundation
import Testing
import TestSupport

/// Ganesha's statistics and the process metrics on /metrics, from a real share-manager.
@Suite("/metrics carries Ganesha's statistics, monotonic and bounded in time", .serialized, .timeLimit(.minutes(5)))
struct MetricsTests {
    @Test("1 MiB written and read over NFSv4.1 shows in export bytes and operations; promtool finds nothing", .realParts(python: true, extraTools: ["promtool"]))
    func clientIO() async throws {
        try await servingShareManager("vol-mio") { sm, process, dir in
            let before = await sm.scrape()
            let written = try nfsClient(["write", sm.nfsURL, "m.bin", "1048576"])
            try #require(written.status == 0, "write failed: \(written.stderr)\n\(process.output)")
            let read = try nfsClient(["read", sm.nfsURL, "m.bin"])
            #expect(read.stdout == written.stdout, "read back differs: \(read.stderr)")
            let after = await sm.scrape()
            for direction in ["write", "read"] {
                let grown = after.sum("share_manager_export_bytes_total", direction) - before.sum("share_manager_export_bytes_total", direction)
                #expect(grown >= 1_048_576, "\(direction) bytes grew by \(grown)")
                #expect(after.sum("share_manager_export_operations_total", direction) > before.sum("share_manager_export_operations_total", direction))
            }
            let v41 = "share_manager_nfs_operations_total{volume=\"vol-mio\",nfs_version=\"4.1\"}"
            #expect((after.values[v41] ?? 0) > (before.values[v41] ?? 0), "\(v41): \(before.values[v41] ?? -1) → \(after.values[v41] ?? -1)")
            #expect((after.values["share_manager_clients_connected{volume=\"vol-mio\"}"] ?? 0) >= 1)
            for process in ["share-manager", "ganesha"] {
                let rss = "share_manager_process_resident_memory_bytes{volume=\"vol-mio\",process=\"\(process)\"}"
                #expect((after.values[rss] ?? 0) > 1_000_000, "\(rss) = \(after.values[rss] ?? -1)")
            }
            let promtool = try #require(TestEnvironment.which("promtool"))
            let file = dir.file("metrics.txt")
            try after.body.write(toFile: file, atomically: true, encoding: .utf8)
            let check = try await runCommand(["/bin/sh", "-c", "\(promtool) check metrics < \(file)"])
            #expect(check.status == 0 && (check.stdout + check.stderr).isEmpty, "promtool: \(check.stdout)\(check.stderr)")
        }
    }

    @Test("Ganesha killed between two scrapes: share-manager restarts it and no counter goes down", .realParts(python: true))
    func restartKeepsCountersMonotonic() async throws {
        try await servingShareManager("vol-mre") { sm, process, _ in
            #expect(try nfsClient(["write", sm.nfsURL, "r.bin", "65536"]).status == 0)
            let before = await sm.scrape()
            try #require(before.sum("share_manager_export_bytes_total", "write") >= 65536, "\(before.body)")
            let first = try sm.ganeshaPid()
            kill(first, SIGKILL)
            #expect(await sm.waitForNewGanesha(replacing: first) != nil, "Ganesha was not restarted:\n\(process.output)")
            #expect(await sm.waitUntilReady(process, timeout: .seconds(20)), "not ready after the restart:\n\(process.output)")
            #expect(try nfsClient(["write", sm.nfsURL, "s.bin", "4096"]).status == 0)
            let after = await sm.scrape()
            for (series, old) in before.values where series.contains("_total{") {
                #expect((after.values[series] ?? -1) >= old, "\(series) went from \(old) to \(after.values[series] ?? -1)")
            }
            #expect(process.isRunning)
            #expect((after.values["share_manager_ganesha_restarts_total{volume=\"vol-mre\"}"] ?? 0) >= 1)
        }
    }

    /// docs/metrics.md, "A hung Ganesha": a scrape waits at most 2 s for Ganesha. Asked
    /// apart, the export count had added its own 1 s (3.00 s measured, five in a row). The
    /// fastest of five is held to the bound: CPU starvation only adds to a scrape (2.15 to
    /// 4.2 s seen beside the whole suite and other builds, load 17-19 on 2 cores), never takes
    /// from the wait, and the old code never went below 3.00 s.
    static let hungScrapeBound: Duration = .milliseconds(2500)

    @Test("Ganesha stopped (SIGSTOP): five scrapes in a row answer, the fastest within 2.5 s, each within 5 s, each counting a scrape error", .realParts())
    func hungGanesha() async throws {
        try await servingShareManager("vol-mhung") { sm, process, _ in
            let series = "share_manager_scrape_errors_total{volume=\"vol-mhung\"}"
            let before = try #require(await sm.scrape().values[series], "no \(series)")
            let pid = try sm.ganeshaPid()
            var continued = false
            defer { if !continued { kill(pid, SIGCONT) } }
            try await ProcessTable.stop(pid)
            var last = before
            var took: [Duration] = []
            for _ in 0..<5 {  // later scrapes find the earlier ones' calls still pending
                let started = ContinuousClock.now
                let during = await sm.scrape()
                took.append(ContinuousClock.now - started)
                #expect(during.status == 200, "status \(during.status)")
                #expect((during.values[series] ?? 0) > last, "\(series): \(last) → \(during.values[series] ?? -1)")
                last = during.values[series] ?? last
            }
            print("hung Ganesha, five scrapes:", took.map { String(format: "%.2f", $0.inSeconds) }.joined(separator: " "))
            #expect(took.min()! < Self.hungScrapeBound && took.max()! < .seconds(5), "scrapes took \(took)")
            kill(pid, SIGCONT)
            continued = true
            // Answers again: once the pending calls are through, scrapes count no more errors
            // (two scrapes in a row agree), and the next one agrees too.
            var settled = -1.0
            let calm = await SocketProbe.waitUntil(timeout: .seconds(15)) {
                settled = await sm.scrape().values[series] ?? -1
                return await sm.scrape().values[series] == settled
            }
            #expect(calm, "\(series) still rising: \(settled)")
            #expect(await sm.scrape().values[series] == settled)
            #expect(process.isRunning)
        }
    }
}

/// One /metrics answer, parsed into series and values.
struct Scrape {
    let status: Int
    let body: String
    let values: [String: Double]

    /// The sum of a family's series for one direction (over exports and NFS versions); 0 before any.
    func sum(_ family: String, _ direction: String) -> Double {
        values.filter { $0.key.hasPrefix(family + "{") && $0.key.contains("direction=\"\(direction)\"") }.values.reduce(0, +)
    }
}

extension ShareManagerUnderTest {
    func scrape() async -> Scrape {
        let (status, body) = await get("/metrics")
        var values: [String: Double] = [:]
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return Scrape(status: status, body: body, values: values)
    }
}
