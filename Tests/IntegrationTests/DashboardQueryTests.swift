import Foundation
import Testing
import TestSupport

/// The Grafana dashboard in deploy/grafana, its queries evaluated by a real Prometheus that
/// scrapes a live share-manager: every panel must show something.
@Suite("the Grafana dashboard's queries against a real Prometheus", .serialized, .timeLimit(.minutes(3)))
struct DashboardQueryTests {
    static let file = TestEnvironment.repositoryRoot.appendingPathComponent("deploy/grafana/share-manager-dashboard.json").path

    @Test("the dashboard filters every query by volume, namespace and job, multi-select")
    func fleetVariables() throws {
        let dashboard = try Self.dashboard()
        let variables = ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
        for name in ["volume", "namespace", "job"] {
            let variable = variables.first { $0["name"] as? String == name }
            #expect(variable?["multi"] as? Bool == true && variable?["includeAll"] as? Bool == true, "$\(name): \(variable ?? [:])")
        }
        let queries = try Self.queries()
        #expect(queries.count >= 20)
        for query in queries {
            #expect(query.contains("volume=~\"$volume\""), "not filtered by volume: \(query)")
        }
    }

    @Test("after NFS traffic and two scrapes, every panel's query returns at least one series", .realParts(python: true, extraTools: ["prometheus"]))
    func everyPanelHasData() async throws {
        let python = try #require(Binaries.python)
        let queries = try Self.queries()
        try await withImage(prefix: "sm-dash") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-dash", dir: dir, image: image)
            let shareManager = try sm.start(name: "share-manager")
            try await stoppingAfterwards(shareManager) {
                try #require(await sm.waitUntilReady(shareManager), "never ready:\n\(shareManager.output)")
                // The export_* series exist only once the export has served reads and writes.
                let written = try await runCommand([python, Binaries.nfsClientScript, "write", sm.nfsURL, "d.bin", "65536"])
                try #require(written.status == 0, "write failed: \(written.stderr)\n\(shareManager.output)")
                let read = try await runCommand([python, Binaries.nfsClientScript, "read", sm.nfsURL, "d.bin"])
                try #require(read.status == 0, "read failed: \(read.stderr)")
                let prometheus = try PrometheusServer(scraping: sm.httpPort, dir: dir)
                try await stoppingAfterwards(prometheus.process) {
                    let scrapes = await prometheus.firstSeries("count_over_time(share_manager_up{volume=\"vol-dash\"}[1m]) >= 2")
                    try #require(scrapes != nil, "Prometheus never scraped twice:\n\(prometheus.process.output)")
                    for query in queries {
                        let concrete = Self.substitute(query)
                        #expect(!concrete.contains("$"), "a variable left unsubstituted: \(concrete)")
                        let series = await prometheus.firstSeries(concrete)
                        #expect(series != nil, "no series for \(concrete)")
                    }
                }
            }
        }
    }

    /// Grafana's variables as this test's one volume, scraped by a plain Prometheus (no
    /// namespace label) every second: `$__rate_interval` is then a few scrapes, as in Grafana.
    static func substitute(_ query: String) -> String {
        query.replacingOccurrences(of: "$__rate_interval", with: "5s")
            .replacingOccurrences(of: "$volume", with: "vol-dash")
            .replacingOccurrences(of: "$namespace", with: ".*")
            .replacingOccurrences(of: "$job", with: "share-manager")
    }

    static func dashboard() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every target's expression, row panels' nested panels included.
    static func queries() throws -> [String] {
        var panels = (try dashboard()["panels"] as? [[String: Any]]) ?? []
        panels += panels.flatMap { ($0["panels"] as? [[String: Any]]) ?? [] }
        return panels.flatMap { ($0["targets"] as? [[String: Any]]) ?? [] }.compactMap { $0["expr"] as? String }
    }
}
