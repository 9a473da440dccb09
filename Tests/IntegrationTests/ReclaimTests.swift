import Foundation
import Testing
import TestSupport

/// Clients ride through crashes and failovers: a client holding an open and a lock reclaims
/// both after the server comes back, with Grace_Period 90 unless a test says otherwise.
@Suite("clients reclaim after crashes and failovers", .serialized, .timeLimit(.minutes(5)))
struct ReclaimTests {
    static let holdArguments = [
        "--file", "held.bin", "--owner", "client-a", "--lock-offset", "0", "--lock-length", "100",
        "--write-bytes", "4096", "--probe-grace", "--duration", "240", "--reconnect-timeout", "120",
    ]

    /// A volume under test with the grace period and lease a scenario needs.
    private func volume(_ name: String, dir: TemporaryDirectory, image: String, grace: Int, lease: Int) throws -> ShareManagerUnderTest {
        var sm = try ShareManagerUnderTest(volume: name, dir: dir, image: image)
        sm.gracePeriod = grace
        sm.leaseLifetime = lease
        return sm
    }

    private func startServed(_ sm: ShareManagerUnderTest, name: String) async throws -> ChildProcess {
        let process = try sm.start(name: name)
        guard await sm.waitUntilReady(process) else {
            await process.stop()
            throw POSIXError(.ETIMEDOUT)
        }
        return process
    }

    /// Checks what a reclaiming client must see after the server came back, and that a new
    /// client meets a real grace period meanwhile. Returns seconds from loss to the first write.
    private func expectReclaimed(_ a: ReclaimClient, _ sm: ShareManagerUnderTest, checkGrace: Bool = true) async throws -> Double {
        let reclaimed = try #require(await a.wait(for: "reclaimed", timeout: .seconds(90)), "no reclaim: \(a.events)")
        #expect(reclaimed["open"] as? String == "NFS4_OK")
        #expect(reclaimed["lock"] as? String == "NFS4_OK")
        if checkGrace {
            let b = try await ReclaimClient.run("try-open", sm, name: "client-b", ["--file", "other.bin", "--owner", "client-b"])
            #expect(b.first { $0["event"] as? String == "open" }?["status"] as? String == "NFS4ERR_GRACE", "B: \(b)")
        }
        let written = try #require(await a.wait(for: "write-ok", timeout: .seconds(30)), "no write: \(a.events)")
        let sinceLost = written["since_lost"] as? Double ?? 999
        #expect(sinceLost < 30, "first write \(sinceLost) s after the loss")
        #expect(await a.wait(for: "data-intact", timeout: .seconds(10))?["ok"] as? Bool == true)
        if checkGrace {
            let c = try await ReclaimClient.run("try-lock", sm, name: "client-c", [
                "--file", "held.bin", "--owner", "client-c", "--lock-offset", "0", "--lock-length", "100", "--grace-wait", "90",
            ])
            #expect(c.first { $0["event"] as? String == "lock" }?["status"] as? String == "NFS4ERR_DENIED", "C: \(c)")
        }
        let open = await a.wait(for: "new-open-ok", timeout: .seconds(90))
        #expect((open?["since_lost"] as? Double ?? 999) < 30, "grace held new opens too long: \(String(describing: open))")
        return sinceLost
    }

    @Test("Ganesha SIGKILLed: restarted in place, the client reclaims its open and lock well before 90 s", .realParts())
    func ganeshaKilled() async throws {
        try await withImage(prefix: "sm-rk1") { dir, image in
            let sm = try volume("vol-rk1", dir: dir, image: image, grace: 90, lease: 60)
            let server = try await startServed(sm, name: "server")
            try await stoppingAfterwards(server) {
                let a = try ReclaimClient.start("hold", sm, name: "client-a", Self.holdArguments)
                try await stoppingAfterwards(a.process) {
                    try #require(await a.wait(for: "holding", timeout: .seconds(30)) != nil, "\(a.events)")
                    kill(try sm.ganeshaPid(), SIGKILL)
                    _ = try await expectReclaimed(a, sm)
                    #expect(a.event("error") == nil, "\(a.events)")
                }
            }
        }
    }

    @Test("share-manager SIGKILLed, or SIGTERMed: a fresh instance on another mount point serves the records", .realParts(), arguments: [SIGKILL, SIGTERM])
    func failover(_ signal: Int32) async throws {
        try await withImage(prefix: "sm-rk2") { dir, image in
            let sm = try volume("vol-rk2", dir: dir, image: image, grace: 90, lease: 60)
            let nodeB = try sm.onAnotherNode("node-b")
            defer { SystemState.forceCleanup(mountPoint: nodeB.mountPoint, image: image) }
            let first = try await startServed(sm, name: "node-a")
            let a = try ReclaimClient.start("hold", sm, name: "client-a", Self.holdArguments)
            try await stoppingAfterwards(a.process) {
                try await stoppingAfterwards(first) {
                    try #require(await a.wait(for: "holding", timeout: .seconds(30)) != nil, "\(a.events)")
                    first.signal(signal)
                    _ = await first.wait(timeout: .seconds(15))
                }
                // Node A is gone: a killed instance leaves its mount and loop, which the
                // failover (in Kubernetes: the volume detach) removes.
                SystemState.forceCleanup(mountPoint: sm.mountPoint, image: image)
                let second = try await startServed(nodeB, name: "node-b")
                try await stoppingAfterwards(second) {
                    _ = try await expectReclaimed(a, nodeB, checkGrace: signal == SIGKILL)
                    #expect(a.event("error") == nil, "the client saw an error: \(a.events)")
                    #expect(second.output.contains("grace period ended") || second.output.contains("grace period started"))
                }
            }
        }
    }

    @Test("two clients recorded, one never returns: grace lasts the full period and metrics show 1 of 2 reclaimed", .realParts())
    func oneClientNeverReturns() async throws {
        try await withImage(prefix: "sm-rk4") { dir, image in
            let sm = try volume("vol-rk4", dir: dir, image: image, grace: 20, lease: 20)
            let server = try await startServed(sm, name: "server")
            try await stoppingAfterwards(server) {
                let a = try ReclaimClient.start("hold", sm, name: "client-a", Self.holdArguments)
                let gone = try ReclaimClient.start("hold", sm, name: "client-d", [
                    "--file", "d.bin", "--owner", "client-d", "--lock-length", "0", "--duration", "240", "--no-destroy",
                ])
                try await stoppingAfterwards(a.process) {
                    try #require(await a.wait(for: "holding", timeout: .seconds(30)) != nil)
                    try #require(await gone.wait(for: "holding", timeout: .seconds(30)) != nil)
                    gone.process.signal(SIGKILL)  // vanishes without a word: its record stays
                    kill(try sm.ganeshaPid(), SIGKILL)
                    _ = await a.wait(for: "reclaimed", timeout: .seconds(30))
                    var sawOneOfTwo = false
                    let deadline = ContinuousClock.now + .seconds(15)
                    while ContinuousClock.now < deadline && !sawOneOfTwo {
                        let active = await sm.metric("share_manager_grace_active")
                        let recorded = await sm.metric("share_manager_recovery_clients")
                        let reclaimed = await sm.metric("share_manager_reclaimed_clients")
                        sawOneOfTwo = active == 1 && recorded == 2 && reclaimed == 1
                        try await Task.sleep(for: .milliseconds(500))
                    }
                    #expect(sawOneOfTwo, "metrics never showed 1 of 2 reclaimed during grace")
                    // The control API names them: who may still reclaim, and who did.
                    let clients = try ControlCall.json(sm, "GET", "/v1/clients")
                    let previous = ((clients["recorded"] as? [[String: Any]]) ?? []).filter { $0["previousInstance"] as? Bool == true }
                    #expect(previous.count == 2, "\(clients)")
                    #expect(previous.filter { $0["reclaimed"] as? Bool == true }.count == 1, "\(clients)")
                    let open = await a.wait(for: "new-open-ok", timeout: .seconds(60))
                    #expect((open?["since_lost"] as? Double ?? 0) >= 17, "grace ended before its full period: \(String(describing: open))")
                }
            }
        }
    }

    @Test("no records: after a restart new opens are accepted at once", .realParts())
    func noRecords() async throws {
        try await withImage(prefix: "sm-rk5") { dir, image in
            let sm = try volume("vol-rk5", dir: dir, image: image, grace: 90, lease: 60)
            let server = try await startServed(sm, name: "server")
            try await stoppingAfterwards(server) {
                let once = try await ReclaimClient.run("write-once", sm, name: "writer", ["--file", "w.bin", "--owner", "writer", "--bytes", "1024"])
                #expect(once.contains { $0["event"] as? String == "written" }, "\(once)")
                let killed = try sm.ganeshaPid()
                kill(killed, SIGKILL)
                // /readyz may still answer 200 for the killed one: first see its successor.
                #expect(await sm.waitForNewGanesha(replacing: killed) != nil, "Ganesha was not restarted:\n\(server.output)")
                #expect(await sm.waitUntilReady(server, timeout: .seconds(20)))
                let b = try await ReclaimClient.run("try-open", sm, name: "client-b", ["--file", "new.bin", "--owner", "client-b"])
                #expect(b.first { $0["event"] as? String == "open" }?["status"] as? String == "NFS4_OK", "\(b)")
            }
        }
    }

    @Test("a malformed entry in the recovery store is quarantined and the others still reclaim", .realParts())
    func malformedEntry() async throws {
        try await withImage(prefix: "sm-rk6") { dir, image in
            let sm = try volume("vol-rk6", dir: dir, image: image, grace: 90, lease: 60)
            let first = try await startServed(sm, name: "first")
            let a = try ReclaimClient.start("hold", sm, name: "client-a", Self.holdArguments)
            try await stoppingAfterwards(a.process) {
                try await stoppingAfterwards(first) {
                    try #require(await a.wait(for: "holding", timeout: .seconds(30)) != nil)
                    first.signal(SIGTERM)
                    #expect(await first.wait(timeout: .seconds(15)) == 0)
                }
                // Damage the store while the volume rests.
                try await RawHTTP.offPoolThrowing {
                    try SystemState.changeImage(image, dir: dir) { root in
                        try "junk".write(toFile: root + "/.share-manager/recovery/v4recov/node0/garbage", atomically: true, encoding: .utf8)
                    }
                }

                let second = try await startServed(sm, name: "second")
                try await stoppingAfterwards(second) {
                    #expect(second.output.contains("recovery record quarantined"), "\(second.output)")
                    _ = try await expectReclaimed(a, sm, checkGrace: false)
                    #expect(FileManager.default.fileExists(atPath: sm.mountPoint + "/.share-manager/recovery-quarantine"))
                }
            }
        }
    }
}
