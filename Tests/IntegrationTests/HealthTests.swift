import Foundation
import Testing
import TestSupport

/// /healthz and /readyz as Kubernetes probes them.
@Suite("liveness and readiness", .serialized, .timeLimit(.minutes(3)))
struct HealthTests {
    @Test("/readyz is 503 until the export is active, then 200; /healthz is 200 throughout start-up", .realParts())
    func readinessDuringStart() async throws {
        try await withImage(prefix: "sm-ready") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-ready", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                var notReady: [String] = []
                var healthDuringStart: [Int] = []
                var firstReady: Date?
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let ready = await sm.get("/readyz")
                    if ready.status == 200 {
                        firstReady = Date()
                        break
                    }
                    if ready.status == 503 {
                        notReady.append(ready.body)
                        healthDuringStart.append(await sm.get("/healthz").status)
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                // Every answer before ready was a 503 that says why (on a busy machine the
                // window may pass before the first answer arrives)...
                #expect(notReady.allSatisfy { $0.hasPrefix("not ready") })
                // ...and the first 200 came after share-manager saw the export active.
                let line = try #require(process.output.split(separator: "\n").first { $0.contains("export active") })
                let stamp = try #require(ISO8601DateFormatter.withFractions.date(from: String(line.dropFirst("time=".count).prefix(24))))
                #expect(stamp <= (firstReady ?? .distantPast), "ready before the export was active")
                #expect(healthDuringStart.allSatisfy { $0 == 200 }, "liveness failed during start-up: \(healthDuringStart)")
                #expect(await sm.get("/readyz").status == 200)
                #expect(process.output.contains("export active"), "the export must come from the config Ganesha starts with")
            }
        }
    }

    @Test("a SIGSTOPped Ganesha turns /healthz and /readyz 503 within 13 s (10 s heartbeat limit plus slack), and SIGCONT brings them back", .realParts())
    func stoppedGanesha() async throws {
        try await withImage(prefix: "sm-stop") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-stop", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                try #require(await sm.waitFor("/healthz", status: 200, timeout: .seconds(15)))
                let ganesha = try sm.ganeshaPid()
                defer { kill(ganesha, SIGCONT) }
                try await ProcessTable.stop(ganesha)
                // The limit is 10 s after the last beat, which came up to 1 s before the stop;
                // the rest is slack for a loaded CI machine. The wait's timeout is the bound.
                #expect(await sm.waitFor("/healthz", status: 503, timeout: .seconds(13)))
                #expect(await sm.get("/healthz").body.contains("heartbeat"))
                #expect(await sm.get("/readyz").status == 503)
                #expect((await sm.metric("share_manager_heartbeat_age_seconds") ?? 0) > 9)
                kill(ganesha, SIGCONT)
                #expect(await sm.waitFor("/healthz", status: 200, timeout: .seconds(15)))
                #expect(await sm.waitFor("/readyz", status: 200, timeout: .seconds(15)))
                #expect(await sm.metric("share_manager_build_info") == 1)
            }
        }
    }
}

extension ISO8601DateFormatter {
    /// share-manager's log timestamps: `2026-11-22T01:09:54.572Z`.
    nonisolated(unsafe) static let withFractions: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
