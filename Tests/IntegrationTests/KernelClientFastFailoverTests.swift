import Foundation
import Testing
import TestSupport

extension KernelClientSuites {
    /// `--fast-failover` as the Linux kernel client lives it (issue 19, goal 5): after a SIGTERM
    /// handoff to a fresh instance and after Ganesha is SIGKILLed and restarted in place, the
    /// application's new opens resume within 7 s and its writes within 3.6 s (0.5 s in place,
    /// where its connection is kept open across the restart). One guest; each
    /// run is a handoff, then a kill of the fresh instance's Ganesha (a fresh share-manager
    /// restarts at once; a second death within 5 minutes would wait 1 s). Runs from
    /// SHARE_MANAGER_KERNEL_FAST_RUNS (default 1). SHARE_MANAGER_KERNEL_LEASE and _GRACE, when
    /// set, are passed as explicit flags beside the preset (they win), for measuring other
    /// settings the same way; the 7 s bound is then not asserted.
    @Suite("fast failover through in-place restarts", .timeLimit(.minutes(10)))
    struct KernelClientFastFailoverTests {
        static let dir = "/mnt/t"

        @Test("new opens resume within 7 s of a handoff and of a Ganesha SIGKILL with --fast-failover")
        func fastFailover() async throws {
            let environment = ProcessInfo.processInfo.environment
            let runs = environment["SHARE_MANAGER_KERNEL_FAST_RUNS"].flatMap(Int.init) ?? 1
            let explicit = environment["SHARE_MANAGER_KERNEL_LEASE"] != nil
            try await withImage(prefix: "sm-kf") { tmp, image in
                var sm = try ShareManagerUnderTest(volume: "vol-kf", dir: tmp, image: image)
                sm.timingFlags = explicit
                sm.leaseLifetime = KernelTimings.lease
                sm.gracePeriod = KernelTimings.grace
                // A tap cross-check needs Ganesha on the tap's address, not loopback.
                sm.extra = ["--fast-failover", "true"] + (environment["SHARE_MANAGER_KERNEL_NETDEV"] != nil ? ["--nfs-address", "0.0.0.0"] : [])
                let rig = try await KernelFaultRig(sm)
                try await rig.stoppingAll {
                    try await KernelGuest.with(["kc-fast"], in: tmp) { guests in
                        let guest = guests[0]
                        try await guest.mount(rig.sm, at: Self.dir)
                        if let idle = environment["SHARE_MANAGER_KERNEL_IDLE_S"].flatMap(Int.init) {
                            try await measureIdle(rig, seconds: idle, lease: explicit ? "\(KernelTimings.lease)" : "fast")
                        }
                        let started = try await guest.request("app \(Self.dir)", replies: ["app-started", "app-error"])
                        try #require(started["event"] as? String == "app-started", "\(started)")
                        for run in 1...runs {
                            for fault in [KernelFault.handoff, .ganeshaKilled] {
                                let (writes, opens, ready) = try await stall(across: fault, rig, guest)
                                let lease = explicit ? "\(KernelTimings.lease)/\(KernelTimings.grace)" : "fast"
                                FileHandle.standardError.write(Data(String(
                                    format: "KERNEL-FAST run=%d fault=%@ lease=%@ writes_stalled_s=%.2f opens_stalled_s=%.2f %@\n",
                                    run, fault.rawValue, lease, writes, opens, ready).utf8))
                                #expect(writes <= 3.6, "run \(run), \(fault): writes stalled \(writes) s")
                                // In place the connection is kept (share-manager's duplicate) until the new
                                // Ganesha listens: 0.01-0.05 s measured; closed with Ganesha, 1.0 s at best.
                                if fault == .ganeshaKilled { #expect(writes <= 0.5, "run \(run): writes stalled \(writes) s after an in-place restart") }
                                if !explicit { #expect(opens <= 7.0, "run \(run), \(fault): new opens stalled \(opens) s") }
                            }
                        }
                        let stopped = try await guest.request("app-stop", replies: ["app-stopped"], timeout: .seconds(60))
                        #expect(stopped["errors"] as? Int == 0, "\(stopped)")
                    }
                }
            }
        }

        /// What a mounted, idle client costs (SHARE_MANAGER_KERNEL_IDLE_S, for docs/kernel-client.md):
        /// the NFS requests Ganesha counts (lease renewals) and both processes' CPU.
        private func measureIdle(_ rig: KernelFaultRig, seconds: Int, lease: String) async throws {
            try await Task.sleep(for: .seconds(5))
            let ganesha = try rig.sm.ganeshaPid()
            let before = (await operations(rig), cpuTicks(ganesha), cpuTicks(rig.server.pid))
            try await Task.sleep(for: .seconds(seconds))
            let after = (await operations(rig), cpuTicks(ganesha), cpuTicks(rig.server.pid))
            let perMinute = 60 / Double(seconds)
            FileHandle.standardError.write(Data(String(
                format: "KERNEL-IDLE lease=%@ seconds=%d nfs_requests_per_min=%.1f ganesha_cpu_s_per_min=%.3f share_manager_cpu_s_per_min=%.3f\n",
                lease, seconds, (after.0 - before.0) * perMinute, Double(after.1 - before.1) / 100 * perMinute,
                Double(after.2 - before.2) / 100 * perMinute).utf8))
        }

        private func operations(_ rig: KernelFaultRig) async -> Double {
            await rig.sm.get("/metrics").body.split(separator: "\n")
                .filter { $0.hasPrefix("share_manager_nfs_operations_total{") }
                .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
        }

        /// utime + stime of `pid`, in clock ticks (100 a second here).
        private func cpuTicks(_ pid: Int32) -> Int {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            return fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
        }

        /// Applies `fault` (a handoff to a fresh instance on the same node); returns the slowest
        /// write+fsync and open across it, read once two new files show that opens go on again.
        private func stall(across fault: KernelFault, _ rig: KernelFaultRig, _ guest: KernelGuest) async throws -> (Double, Double, String) {
            let settled = await SocketProbe.waitUntil(timeout: .seconds(60)) { [rig] in
                fileCount(rig.exportPath + "/opens") >= 4 && fileSize(rig.exportPath + "/app-data.bin") >= 10 * 4096
            }
            try #require(settled, "the application did not get going: \(guest.events.suffix(5))")
            // Four more opens (about 2 s) of steady work, then the baseline: `stats` restarts the maxima.
            let steady = fileCount(rig.exportPath + "/opens") + 4
            let working = await SocketProbe.waitUntil(timeout: .seconds(30)) { [rig] in fileCount(rig.exportPath + "/opens") >= steady }
            try #require(working, "the application stopped opening files: \(guest.events.suffix(5))")
            try await guest.request("stats", replies: ["stats"])
            var ready = ""
            if fault == .handoff {
                let took = try await rig.restartOnSameNode()
                ready = String(format: "old_exited_s=%.2f new_ready_s=%.2f", took.exited, took.ready)
            } else {
                try await rig.apply(fault)
            }
            let opened = fileCount(rig.exportPath + "/opens")
            let progressed = await SocketProbe.waitUntil(timeout: .seconds(120)) { [rig] in fileCount(rig.exportPath + "/opens") >= opened + 2 }
            try #require(progressed, "no new open within 120 s of the restart: \(guest.events.suffix(5))")
            let stats = try await guest.request("stats", replies: ["stats"])
            #expect(stats["errors"] as? Int == 0, "\(stats)")
            return (stats["max_write_s"] as? Double ?? -1, stats["max_open_s"] as? Double ?? -1, ready)
        }
    }
}
