import Foundation
import Testing
import TestSupport

/// Issue 16 row 7: a full volume is not a liveness failure. Before the fix /healthz was 503
/// ("No space left on device") from the first probe, after a restart too, so the liveness
/// probe restarted the Pod over and over and freed nothing.
@Suite("full volume", .serialized, .timeLimit(.minutes(4)))
struct FullVolumeTests {
    @Test("a volume full by blocks or inodes stays live and ready, across a restart, and says it is full", .realParts(), arguments: VolumeFill.allCases)
    func fullVolume(_ fill: VolumeFill) async throws {
        try await withImage(prefix: "sm-full-\(fill)") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-full-\(fill)", dir: dir, image: image)
            // Every /healthz answer (none while the port is not bound yet).
            var probes: [Int] = []
            var failures: [String] = []
            let first = try sm.start(name: "run")
            try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                let folder = sm.mountPoint + "/data"
                #expect(try await offPool { fill.fill(folder) } == ENOSPC)
                try await expectFullAndLive(sm, fill, probes: &probes, failures: &failures, first)
            }
            let second = try sm.start(name: "restart")
            try await stoppingAfterwards(second) {
                // From the first answer on: start-up, and the probes of the full volume after it.
                let live = await SocketProbe.waitUntil(timeout: .seconds(60)) {
                    let health = await sm.get("/healthz").status
                    if health != 0 { probes.append(health) }
                    return await sm.get("/readyz").status == 200
                }
                try #require(live, "never ready after the restart:\n\(second.output)")
                try await expectFullAndLive(sm, fill, probes: &probes, failures: &failures, second)
            }
            #expect(!probes.isEmpty && probes.allSatisfy { $0 == 200 }, "liveness failed: \(probes) \(failures)")
        }
    }

    /// Waits for the metric to say full (or for a failed liveness probe), then watches one
    /// more probe round (the monitor probes every 5 s).
    private func expectFullAndLive(
        _ sm: ShareManagerUnderTest, _ fill: VolumeFill, probes: inout [Int], failures: inout [String], _ process: ChildProcess
    ) async throws {
        func probe() async {
            let health = await sm.get("/healthz")
            probes.append(health.status)
            if health.status != 200 { failures.append(health.body) }
        }
        var full = false
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !full, failures.isEmpty {
            await probe()
            full = await Self.full(sm, fill) == 1
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(failures.isEmpty, "/healthz failed on a full volume: \(failures)")
        try #require(full, "share_manager_volume_full{resource=\"\(fill.rawValue)\"} never 1:\n\(process.output)")
        let watched = ContinuousClock.now + .seconds(6)
        while ContinuousClock.now < watched {
            await probe()
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(await sm.get("/healthz").body.contains("volume full"))
        let ready = await sm.get("/readyz")
        #expect(ready.status == 200 && ready.body.contains("volume full (no free \(fill))"), "\(ready)")
        #expect(await sm.metric("share_manager_filesystem_readonly") == 0)
        let device = try #require(try ControlCall.json(sm, "GET", "/v1/status")["device"] as? [String: Any])
        #expect((device["full"] as? [String])?.contains(fill.rawValue) == true, "\(device)")
        #expect((device["health"] as? String)?.hasPrefix("volume full") == true, "\(device)")
    }

    private static func full(_ sm: ShareManagerUnderTest, _ fill: VolumeFill) async -> Double? {
        let body = await sm.get("/metrics").body
        let line = body.split(separator: "\n").first { $0.hasPrefix("share_manager_volume_full{") && $0.contains("resource=\"\(fill)\"") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }
}
