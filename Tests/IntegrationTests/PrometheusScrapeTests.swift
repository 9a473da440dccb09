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
                let prometheus = try PrometheusServer(scraping: sm.httpPort, dir: dir)
                try await stoppingAfterwards(prometheus.process) {
                    for query in ["up", "share_manager_up", "share_manager_exports"] {
                        let value = await prometheus.value(query)
                        #expect(value == "1", "\(query) = \(value ?? "no answer")\n\(prometheus.process.output)")
                    }
                }
            }
        }
    }
}
