import Foundation
import Testing
import TestSupport

/// Issue 16 row 10: instances started at the same moment on one block device. The device
/// claim (flock on the whole-disk node) is held from the in-use check until the mount, so
/// every loser refuses before it runs a tool on the device.
@Suite("One block device, one instance", .serialized, .timeLimit(.minutes(8)))
struct DeviceExclusionTests {
    static let instances = 5

    @Test("5 starts at once on one formatted block device: one serves, the others refuse 'in use', e2fsck stays clean", .realParts(extraTools: ["e2fsck"]))
    func simultaneousStarts() async throws {
        try await withImage(prefix: "sm-race", size: "1G") { dir, image in
            let loop = try await runCommand(["losetup", "--find", "--show", image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(loop.hasPrefix("/dev/loop"), "losetup gave '\(loop)'")
            defer { SystemState.detach(loop, ifBacking: image) }
            let base = try ShareManagerUnderTest(volume: "vol-race", dir: dir, image: loop)
            let format = try base.start(name: "format")
            try await stoppingAfterwards(format) {
                try #require(await base.waitUntilReady(format), "never ready:\n\(format.output)")
                format.signal(SIGTERM)
                #expect(await format.wait(timeout: .seconds(20)) == 0, "\(format.output)")
            }

            // A mount count past the maximum makes every e2fsck -p a full check: the window
            // between the in-use check and the mount, where a second instance used to slip in.
            try #require(try await runCommand(["tune2fs", "-c", "20", "-C", "100", loop]).status == 0)
            let racers = try (0..<Self.instances).map { try base.onAnotherNode("racer-\($0)") }
            let processes = try racers.enumerated().map { try $1.start(name: "racer-\($0)") }
            defer { for (racer, _) in zip(racers, processes) { SystemState.forceCleanup(mountPoint: racer.mountPoint, image: image) } }
            var servers: [Int] = []
            for (index, (racer, process)) in zip(racers, processes).enumerated() {
                // Each either serves or exits; nothing is left undecided.
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline, process.isRunning, await racer.get("/readyz").status != 200 {
                    try await Task.sleep(for: .milliseconds(100))
                }
                if process.isRunning { servers.append(index) }
            }
            for (index, process) in processes.enumerated() where !servers.contains(index) {
                #expect(await process.wait(timeout: .seconds(10)) == 1, "racer \(index):\n\(process.output)")
                #expect(process.output.contains("is in use"), "racer \(index) did not refuse as in use:\n\(process.output)")
            }
            for (index, process) in processes.enumerated() {
                #expect(!process.output.contains("e2fsck left errors"), "racer \(index) ran into another's e2fsck:\n\(process.output)")
            }
            #expect(servers.count == 1, "instances serving: \(servers)")
            for process in processes { await process.stop() }
            for (index, process) in processes.enumerated() where servers.contains(index) {
                #expect(process.output.contains("exits with status 0"), "the server did not stop cleanly:\n\(process.output)")
            }
            let fsck = try await runCommand(["e2fsck", "-n", "-f", loop])
            #expect(fsck.status == 0, "e2fsck after the race:\n\(fsck.stdout)\(fsck.stderr)")
        }
    }
}
