import Foundation
import Testing
import TestSupport

/// The kernel-client suites, one after the other, so that no more than three emulated guests
/// run at once beside the rest of the suite (both side by side made five on two cores).
@Suite("the Linux kernel client", .serialized, .needs(KernelGuest.Fixture.parts))
enum KernelClientSuites {}

extension KernelClientSuites {
    /// The Linux kernel client (Debian's 6.1 in QEMU guests) through the faults a volume meets:
    /// the application keeps writing and opening with no error and no lost block, a process's
    /// fcntl lock and flock survive, and a second client's lock attempt waits out grace and is
    /// then refused until the owner unlocks. One guest pair per fault, one fault at a time.
    @Suite("the Linux kernel client through faults", .timeLimit(.minutes(10)))
    struct KernelClientTests {
        static let dir = "/mnt/t"
        static let eagain = 11

        @Test("the application, the locks and a second client ride through", arguments: KernelFault.allCases)
        func rideThrough(_ fault: KernelFault) async throws {
            try await withImage(prefix: "sm-kc") { tmp, image in
                var sm = try ShareManagerUnderTest(volume: "vol-kc", dir: tmp, image: image)
                sm.gracePeriod = KernelTimings.grace
                sm.leaseLifetime = KernelTimings.lease
                let rig = try await KernelFaultRig(sm)
                try await rig.stoppingAll {
                    try await KernelGuest.with(["kc-owner", "kc-other"], in: tmp) { guests in
                        try await run(fault, rig, owner: guests[0], other: guests[1])
                    }
                }
            }
        }

        private func run(_ fault: KernelFault, _ rig: KernelFaultRig, owner: KernelGuest, other: KernelGuest) async throws {
            let dir = Self.dir
            try await owner.mount(rig.sm, at: dir)
            try await other.mount(rig.sm, at: dir)
            try await other.request("preopen \(dir)", replies: ["preopened"])
            let started = try await owner.request("app \(dir)", replies: ["app-started", "app-error"])
            try #require(started["event"] as? String == "app-started", "\(started)")
            let holding = try await owner.request("hold \(dir)", replies: ["holding", "hold-error"])
            #expect(holding["fcntl_errno"] as? Int == 0 && holding["flock_errno"] as? Int == 0, "\(holding)")
            try await expectRefused(other, "before the fault")
            // A few seconds of steady writing, then the baseline: `stats` restarts the maxima.
            let writing = await SocketProbe.waitUntil(timeout: .seconds(60)) { [rig] in
                fileSize(rig.exportPath + "/app-data.bin") >= 20 * 4096
            }
            try #require(writing, "the application did not get going: \(owner.events.suffix(5))")
            try await owner.request("stats", replies: ["stats"])

            let faultAt = ContinuousClock.now
            try await rig.apply(fault)
            let readyAfter = (ContinuousClock.now - faultAt).inSeconds
            // The second client at once, on the file it had open before the fault: the kernel
            // retries NFS4ERR_GRACE inside F_SETLK, which returns EAGAIN only after grace.
            let tried = try await attempt(other, "trylock \(dir)", rig)
            #expect(tried.event["ok"] as? Bool == false && tried.event["errno"] as? Int == Self.eagain, "F_SETLK in grace: \(tried.event)")
            #expect(tried.graceWhileWaiting, "F_SETLK did not wait in grace: \(tried)")
            #expect(!tried.graceAfter, "F_SETLK was answered while the server was still in grace")
            try await expectRefused(other, "after grace")

            // The application made progress after grace: two more files opened on the server.
            let opened = fileCount(rig.exportPath + "/opens")
            let progressed = await SocketProbe.waitUntil(timeout: .seconds(60)) { [rig] in fileCount(rig.exportPath + "/opens") >= opened + 2 }
            #expect(progressed, "no new open within 60 s after grace: \(owner.events.suffix(5))")
            let stopped = try await owner.request("app-stop", replies: ["app-stopped"], timeout: .seconds(60))
            let blocks = stopped["blocks"] as? Int ?? 0
            #expect(stopped["errors"] as? Int == 0, "\(stopped)")
            #expect(!owner.events.contains { $0["event"] as? String == "app-error" }, "\(owner.events.filter { $0["event"] as? String == "app-error" })")
            let checked = try await owner.request("check-hold", replies: ["hold-checked"])
            #expect(checked["fcntl_errno"] as? Int == 0 && checked["flock_errno"] as? Int == 0, "the owner lost a lock: \(checked)")
            try await expectRefused(other, "after the application stopped")

            let verified = try await owner.request("verify \(dir)", replies: ["verified", "verify-error"])
            #expect(verified["bad"] as? Int == 0 && (verified["blocks"] as? Int ?? 0) >= blocks, "in the guest, caches dropped: \(verified)")
            let onServer = try intactBlocks(rig.exportPath + "/app-data.bin")
            #expect(onServer.blocks >= blocks && onServer.intact == onServer.blocks, "on the server: \(onServer), \(blocks) fsync'd")

            try await owner.request("release", replies: ["released"])
            let granted = try await other.request("trylock \(dir)", replies: ["trylock"])
            let flockGranted = try await other.request("tryflock \(dir)", replies: ["tryflock"])
            #expect(granted["ok"] as? Bool == true && flockGranted["ok"] as? Bool == true, "after the owner unlocked: \(granted) \(flockGranted)")
            try await other.request("release", replies: ["released"])

            let line = String(
                format: "KERNEL-CLIENT fault=%@ lease=%d grace=%d ready_after_s=%.2f writes_stalled_s=%.2f opens_stalled_s=%.2f setlk_waited_s=%.2f blocks=%d\n",
                fault.rawValue, KernelTimings.lease, KernelTimings.grace, readyAfter,
                stopped["max_write_s"] as? Double ?? -1, stopped["max_open_s"] as? Double ?? -1, tried.event["s"] as? Double ?? -1, blocks)
            FileHandle.standardError.write(Data(line.utf8))
        }

        /// Sends a lock attempt and polls grace until it answers: whether grace was seen with no
        /// answer yet (the call waited in grace) and whether grace was still on after the answer.
        private func attempt(_ guest: KernelGuest, _ command: String, _ rig: KernelFaultRig) async throws
            -> (event: [String: Any], graceWhileWaiting: Bool, graceAfter: Bool) {
            let mark = try guest.send(command)
            var graceWhileWaiting = false
            let deadline = ContinuousClock.now + .seconds(KernelTimings.grace + 60)
            while ContinuousClock.now < deadline {
                let inGrace = await rig.sm.metric("share_manager_grace_active") == 1
                if let event = guest.reply(after: mark, among: ["trylock"]) {
                    let graceAfter = await rig.sm.metric("share_manager_grace_active") == 1
                    return (event, graceWhileWaiting, graceAfter)
                }
                graceWhileWaiting = graceWhileWaiting || inGrace
                try await Task.sleep(for: .milliseconds(100))
            }
            throw FixtureError("'\(command)' did not return within grace + 60 s: \(guest.events.suffix(5))")
        }

        /// The second client's F_SETLK and flock on the owner's files fail at once with EAGAIN.
        private func expectRefused(_ other: KernelGuest, _ when: String) async throws {
            let fcntl = try await other.request("trylock \(Self.dir)", replies: ["trylock"], timeout: .seconds(120))
            let flock = try await other.request("tryflock \(Self.dir)", replies: ["tryflock"], timeout: .seconds(120))
            #expect(fcntl["ok"] as? Bool == false && fcntl["errno"] as? Int == Self.eagain, "F_SETLK \(when): \(fcntl)")
            #expect(flock["ok"] as? Bool == false && flock["errno"] as? Int == Self.eagain, "flock \(when): \(flock)")
        }
    }
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

func fileCount(_ path: String) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: path))?.count ?? 0
}
