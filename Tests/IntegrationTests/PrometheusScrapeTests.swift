import Foundation
import Testing
import TestSupport

/// /metrics as Prometheus itself reads it: a real server scrapes share-manager and the
/// values come back through its query API.
@Suite("a real Prometheus scrapes share-manager", .serialized, .timeLimit(.minutes(3)))
struct PrometheusScrapeTests {
    @Test("Prometheus scrapes /metrics: target up, share_manager_up and share_manager_exports are 1", .realParts(extraTools: ["prometheus"]))
    func scrape() async throws {
        try await withImage(prefix: "sm-prom") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-prom", dir: dir, image: image)
            let shareManager = try sm.start(name: "share-manager")
            try await stoppingAfterwards(shareManager) {
                try #require(await sm.waitUntilReady(shareManager), "never ready:\n\(shareManager.output)")
                let config = dir.file("prometheus.yml")
                try """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: share-manager
                    static_configs:
                      - targets: ['127.0.0.1:\(sm.httpPort)']
                """.write(toFile: config, atomically: true, encoding: .utf8)
                let prometheus = try ChildProcess(
                    [TestEnvironment.which("prometheus") ?? "prometheus", "--config.file=\(config)",
                     "--storage.tsdb.path=\(dir.file("tsdb"))", "--web.listen-address=127.0.0.1:0"],
                    logDirectory: dir.path, name: "prometheus"
                )
                try await stoppingAfterwards(prometheus) {
                    // Port 0: where it listens is read from the kernel, once it does.
                    var listening: UInt16?
                    let up = await SocketProbe.waitUntil(timeout: .seconds(30)) {
                        listening = SocketProbe.listeningTCPPort(pid: prometheus.pid)
                        return listening != nil || !prometheus.isRunning
                    }
                    let promPort = try #require(up ? listening : nil, "Prometheus listens nowhere:\n\(prometheus.output)")
                    for query in ["up", "share_manager_up", "share_manager_exports"] {
                        let value = await queryUntilAnswered(port: promPort, query: query)
                        #expect(value == "1", "\(query) = \(value ?? "no answer")\n\(prometheus.output)")
                    }
                }
            }
        }
    }

    /// The value of the first sample of `query`, polling until Prometheus has scraped (30 s at most).
    private func queryUntilAnswered(port: UInt16, query: String) async -> String? {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let response = await HTTPGet.fetch(host: "127.0.0.1", port: port, path: "/api/v1/query?query=\(query)")
            if response.status == 200,
               let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
               let data = json["data"] as? [String: Any],
               let result = data["result"] as? [[String: Any]],
               let sample = result.first?["value"] as? [Any],
               let value = sample.last as? String {
                return value
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return nil
    }
}
