import Foundation
import Testing
import TestSupport

/// Issue 16 row 12: what a killed instance leaves (its mount, the image's loop device) is
/// released by the next start, or by the kernel at the unmount, and never taken from a
/// live one.
@Suite("Leftovers of a killed instance", .realParts(), .serialized, .timeLimit(.minutes(8)))
struct LeftoverTests {
    /// An instance of `volume` on a fresh image (or, with `block`, on a loop device attached
    /// by hand), served and then SIGKILLed: `body` gets what it left.
    private func afterKill(
        volume: String, block: Bool = false, _ body: (ShareManagerUnderTest, String) async throws -> Void
    ) async throws {
        try await withImage(prefix: "sm-\(volume)") { dir, image in
            var device = image
            if block {
                device = try await runCommand(["losetup", "--find", "--show", image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                try #require(device.hasPrefix("/dev/loop"), "losetup gave '\(device)'")
            }
            let sm = try ShareManagerUnderTest(volume: volume, dir: dir, image: device)
            let process = try sm.start(name: "killed")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                process.signal(SIGKILL)
                _ = await process.wait(timeout: .seconds(15))
            }
            try await body(sm, image)
        }
    }

    /// Ganesha dies with its parent (PDEATHSIG) a moment later and keeps the mount busy until then.
    private func unmountByHand(_ mountPoint: String) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while SystemState.isMounted(mountPoint) && ContinuousClock.now < deadline {
            if try await runCommand(["umount", mountPoint]).status != 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(!SystemState.isMounted(mountPoint), "could not unmount \(mountPoint)")
    }

    @Test("SIGKILL, then umount by hand: the loop device goes with the mount and the next start serves")
    func umountAfterKill() async throws {
        try await afterKill(volume: "vol-left1") { sm, image in
            try await unmountByHand(sm.mountPoint)
            let gone = await SocketProbe.waitUntil(timeout: .seconds(5)) { SystemState.loopDevices(backing: image).isEmpty }
            #expect(gone, "the loop device outlived the unmount: \(SystemState.loopDevices(backing: image))")
            let next = try sm.start(name: "next")
            try await stoppingAfterwards(next) {
                #expect(await sm.waitUntilReady(next), "the next start did not serve:\n\(next.output)")
            }
        }
    }

    @Test("SIGKILL, nothing cleaned up: the next start on the same mount point releases the leftover mount and serves (image file, block device)", arguments: [false, true])
    func nextStartReleasesLeftover(block: Bool) async throws {
        try await afterKill(volume: "vol-left2", block: block) { sm, image in
            #expect(SystemState.isMounted(sm.mountPoint), "the killed instance left no mount: nothing to test")
            let next = try sm.start(name: "next")
            try await stoppingAfterwards(next) {
                try #require(await sm.waitUntilReady(next), "the next start did not serve:\n\(next.output)")
                #expect(next.output.contains("no longer runs"), "no word about the leftover:\n\(next.output)")
                next.signal(SIGTERM)
                #expect(await next.wait(timeout: .seconds(20)) == 0, "\(next.output)")
            }
            #expect(!SystemState.isMounted(sm.mountPoint))
            if !block { #expect(SystemState.loopDevices(backing: image).isEmpty, "left attached: \(SystemState.loopDevices(backing: image))") }
        }
    }

    @Test("a second instance on the mount point of a running one is refused 'in use', and the first keeps serving")
    func liveInstanceKept() async throws {
        try await withImage(prefix: "sm-left3") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-left3", dir: dir, image: image)
            let first = try sm.start(name: "first")
            try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                var second = try sm.onAnotherNode("second")
                second.sharedMountPoint = sm.mountPoint
                let intruder = try second.start(name: "second")
                let status = try await stoppingAfterwards(intruder) { await intruder.wait(timeout: .seconds(30)) }
                #expect(status == 1, "\(intruder.output)")
                #expect(intruder.output.contains("in use by share-manager (pid \(first.pid))"), "\(intruder.output)")
                #expect(await sm.get("/readyz").status == 200, "the first instance stopped serving")
                #expect(SystemState.isMounted(sm.mountPoint))
            }
        }
    }

    @Test("the image re-created under a running instance: its shutdown leaves no loop device behind")
    func imageRecreated() async throws {
        try await withImage(prefix: "sm-left4") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-left4", dir: dir, image: image)
            // A second name keeps the old file reachable, so a leaked loop can be found and detached.
            let old = dir.file("old.img")
            defer { for loop in attachedLoops(of: old) { SystemState.detach(loop, ifBacking: old) } }
            let process = try sm.start(name: "served")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                try #require(link(image, old) == 0)
                try #require(unlink(image) == 0)
                try await runCommand(["truncate", "-s", "64M", image])
                process.signal(SIGTERM)
                _ = await process.wait(timeout: .seconds(20))
            }
            let released = await SocketProbe.waitUntil(timeout: .seconds(5)) { attachedLoops(of: old).isEmpty }
            #expect(released, "the old image is still attached: \(attachedLoops(of: old))")
        }
    }

    private func attachedLoops(of image: String) -> [String] {
        SystemState.loopDevices(backing: image).split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }
    }
}
