import Foundation
import Testing
import TestSupport

extension KernelClientSuites {
    /// Three kernel clients with identities of their own (hostname and nfs4_unique_id per guest;
    /// guests that all called themselves the same would be one record). Grace ends early only
    /// once all three have reclaimed; when one never comes back it runs its full length, and
    /// the status names the missing client while /metrics counts it.
    @Suite("three kernel clients and grace", .timeLimit(.minutes(10)))
    struct KernelClientGraceTests {
        static let ids = ["kc-one", "kc-two", "kc-gone"]

        @Test("grace ends early when all three reclaim, and runs in full when one never comes back")
        func threeClients() async throws {
            try await withImage(prefix: "sm-kg") { tmp, image in
                var sm = try ShareManagerUnderTest(volume: "vol-kg", dir: tmp, image: image)
                // Short timings: this test is about who ends grace, not how long the defaults last.
                sm.gracePeriod = 20
                sm.leaseLifetime = 10
                let rig = try await KernelFaultRig(sm)
                try await rig.stoppingAll {
                    try await KernelGuest.with(Self.ids, in: tmp) { guests in
                        try await run(rig, guests)
                    }
                }
            }
        }

        private func run(_ rig: KernelFaultRig, _ guests: [KernelGuest]) async throws {
            // Each guest holds a lock of its own (ranges apart), state to reclaim after a crash.
            for (index, guest) in guests.enumerated() {
                try await guest.mount(rig.sm, at: "/mnt/t")
                let locked = try await guest.request("trylock /mnt/t \((index + 1) * 1000)", replies: ["trylock"])
                #expect(locked["ok"] as? Bool == true, "\(guest.id): \(locked)")
            }
            let three = await SocketProbe.waitUntil(timeout: .seconds(30)) { currentRecords(rig.sm).count == 3 }
            #expect(three, "three guests, three records: \(currentRecords(rig.sm))")

            // All three come back: grace ends at the first reaper tick after the last reclaim.
            var ends = graceEnds(rig)
            try await rig.apply(.ganeshaKilled)
            let early = try await nextGraceEnd(rig, after: ends, within: .seconds(40))
            #expect(early.reclaimed == 3 && early.recorded == 3, "\(early)")
            #expect(early.after < Double(rig.sm.gracePeriod) - 5, "grace ran \(early.after) s of \(rig.sm.gracePeriod) with every client back")

            // One guest vanishes without a word (its QEMU killed), then Ganesha dies again.
            await guests[2].stop()
            ends = graceEnds(rig)
            try await rig.apply(.ganeshaKilled)
            let seen = await SocketProbe.waitUntil(timeout: .seconds(15)) {
                let active = await rig.sm.metric("share_manager_grace_active")
                let recorded = await rig.sm.metric("share_manager_recovery_clients")
                let reclaimed = await rig.sm.metric("share_manager_reclaimed_clients")
                return active == 1 && recorded == 3 && reclaimed == 2
            }
            #expect(seen, "/metrics never showed 2 of 3 reclaimed during grace")
            let grace = try #require(try ControlCall.json(rig.sm, "GET", "/v1/status")["grace"] as? [String: Any])
            let pending = grace["pending"] as? [String] ?? []
            #expect(pending.count == 1 && pending.first.map(namesGone) == true, "GET /v1/status grace: \(grace)")
            let cli = try ControlCall.cli(["status", "--state-dir", rig.sm.stateDir])
            let cliPending = (cli["grace"] as? [String: Any])?["pending"] as? [String] ?? []
            #expect(cliPending.count == 1 && cliPending.first.map(namesGone) == true, "share-manager status: \(cli)")
            let full = try await nextGraceEnd(rig, after: ends, within: .seconds(rig.sm.gracePeriod + 30))
            #expect(full.reclaimed == 2 && full.recorded == 3 && full.after >= Double(rig.sm.gracePeriod) - 1, "\(full)")
            FileHandle.standardError.write(Data("KERNEL-GRACE all_back_after_s=\(early.after) one_missing_after_s=\(full.after) grace=\(rig.sm.gracePeriod)\n".utf8))
        }
    }
}

/// Whether a record name is the vanished guest's: Ganesha 4.3 writes the Linux client's
/// owner ("Linux NFSv4.1 kc-gone/kc-gone", nodename/nfs4_unique_id) in hex.
private func namesGone(_ record: String) -> Bool {
    record.contains("kc-gone") || record.contains("kc-gone".utf8.map { String(format: "%02x", $0) }.joined())
}

/// share-manager's "grace period ended" log lines so far.
private func graceEnds(_ rig: KernelFaultRig) -> [Substring] {
    rig.server.output.split(separator: "\n").filter { $0.contains("grace period ended") }
}

private struct GraceEnd: CustomStringConvertible {
    let after: Double, reclaimed: Int, recorded: Int, line: String
    var description: String { line }
}

/// Waits for a "grace period ended" line beyond `earlier` and reads its fields.
private func nextGraceEnd(_ rig: KernelFaultRig, after earlier: [Substring], within timeout: Duration) async throws -> GraceEnd {
    let ended = await SocketProbe.waitUntil(timeout: timeout) { graceEnds(rig).count > earlier.count }
    let line = try #require(ended ? graceEnds(rig).last.map(String.init) : nil, "grace did not end within \(timeout)")
    func field(_ name: String) -> String? {
        guard let range = line.range(of: " \(name)=") ?? line.range(of: "[\(name)=") else { return nil }
        return line[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "]" }).first.map(String.init)
    }
    return GraceEnd(after: Double(field("afterSeconds") ?? "") ?? -1, reclaimed: Int(field("reclaimed") ?? "") ?? -1,
                    recorded: Int(field("recorded") ?? "") ?? -1, line: line)
}

/// The recovery store's records that the running instance has confirmed.
private func currentRecords(_ sm: ShareManagerUnderTest) -> [String] {
    let clients = (try? ControlCall.json(sm, "GET", "/v1/clients")) ?? [:]
    return ((clients["recorded"] as? [[String: Any]]) ?? []).filter { $0["current"] as? Bool == true }.compactMap { $0["record"] as? String }
}
