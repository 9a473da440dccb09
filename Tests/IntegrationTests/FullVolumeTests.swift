import Foundation
import Testing
import TestSupport

/// Issue 16 row 7: a full volume is not a liveness failure. Before the fix /healthz was 503
/// ("No space left on device") from the first probe, after a restart too, so the liveness
/// probe restarted the Pod over and over and freed nothing.
@Suite("full volume", .serialized, .timeLimit(.minutes(4)))
struct FullVolumeTests {
    enum Fill: String, CaseIterable, Sendable {
        case blocks, inodes
    }

    @Test("a volume full by blocks or inodes stays live and ready, across a restart, and says it is full", arguments: Fill.allCases)
    func fullVolume(_ fill: Fill) async throws {
        guard realPartsAvailable("fullVolume-\(fill)", extraTools: ["python3"]) else { return }
        try await withImage(prefix: "sm-full-\(fill)") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-full-\(fill)", dir: dir, image: image)
            // Every /healthz answer (none while the port is not bound yet).
            var probes: [Int] = []
            var failures: [String] = []
            let first = try sm.start(name: "run")
            try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                try await Self.fill(sm.mountPoint + "/data", fill)
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

    /// Waits for the metric to say full (or for a failed liveness probe), then watches two
    /// more probe rounds.
    private func expectFullAndLive(
        _ sm: ShareManagerUnderTest, _ fill: Fill, probes: inout [Int], failures: inout [String], _ process: ChildProcess
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
        let watched = ContinuousClock.now + .seconds(11)
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

    private static func full(_ sm: ShareManagerUnderTest, _ fill: Fill) async -> Double? {
        let body = await sm.get("/metrics").body
        let line = body.split(separator: "\n").first { $0.hasPrefix("share_manager_volume_full{") && $0.contains("resource=\"\(fill)\"") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    /// Fills the exported folder as a client would, until not one more byte or file fits.
    private static func fill(_ folder: String, _ fill: Fill) async throws {
        let script = switch fill {
        case .blocks:
            // Down to single bytes: ext4 refuses a large write while a few blocks are left.
            "import os\nf = open(os.path.join(r'\(folder)', 'big'), 'wb', buffering=0)\nfor size in (65536, 4096, 1):\n    try:\n        while True: f.write(b'\\0' * size)\n    except OSError as e: error = e.errno\nprint(error)"
        case .inodes:
            "import os\nd = r'\(folder)'\ni = 0\ntry:\n    while True: open(os.path.join(d, 'f%d' % i), 'wb').close(); i += 1\nexcept OSError as e: print(e.errno)"
        }
        let result = try await runCommand(["python3", "-c", script])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "28", "filling \(fill): \(result.stdout) \(result.stderr)")
        _ = try await runCommand(["sync", "-f", folder])
    }
}
