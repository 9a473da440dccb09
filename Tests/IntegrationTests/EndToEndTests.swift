import Foundation
import Testing
import TestSupport

@Suite("share-manager serves a real NFSv4.1 export end to end", .serialized, .timeLimit(.minutes(5)))
struct EndToEndTests {
    @Test("format, serve, write 1 MiB over NFSv4.1, stop on SIGTERM, restart, read it back", .realParts(python: true, extraTools: ["promtool"]))
    func serveStopRestart() async throws {
        try await withImage(prefix: "sm-e2e") { dir, image in try await serveStopRestart(dir: dir, image: image) }
    }

    private func serveStopRestart(dir: TemporaryDirectory, image: String) async throws {
        let sm = try ShareManagerUnderTest(volume: "vol-e2e", dir: dir, image: image)
        // First run: blank image → formatted, served.
        let first = try sm.start(name: "first")
        let written = try await stoppingAfterwards(first) { try await firstRun(sm, first, dir: dir, image: image) }

        // Second run on the same image: not formatted again, same bytes served.
        let second = try sm.start(name: "second")
        try await stoppingAfterwards(second) {
            try #require(await sm.waitUntilReady(second), "second run never ready:\n\(second.output)")
            #expect(!second.output.contains("formatting"))
            let again = try nfsClient(["read", sm.nfsURL, "hello.bin"])
            #expect(again.stdout == written, "after restart: \(again.stdout) \(again.stderr)")
            second.signal(SIGTERM)
            #expect(await second.wait(timeout: .seconds(15)) == 0)
        }
        #expect(!SystemState.isMounted(sm.mountPoint))
        #expect(SystemState.loopDevices(backing: image).isEmpty)
    }

    /// Blank image → formatted, served, written and read over NFS, stopped by SIGTERM.
    /// Returns the client's "sha256 size" line for the file it wrote.
    private func firstRun(_ sm: ShareManagerUnderTest, _ first: ChildProcess, dir: TemporaryDirectory, image: String) async throws -> String {
        let ready = await sm.waitUntilReady(first)
        try #require(ready, "never ready:\n\(first.output)")
        #expect(await sm.get("/healthz").status == 200)
        let metrics = await sm.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("share_manager_up{volume=\"vol-e2e\"} 1"))
        #expect(metrics.body.contains("share_manager_ganesha_up{volume=\"vol-e2e\"} 1"))
        #expect(metrics.body.contains("share_manager_exports{volume=\"vol-e2e\"} 1"))
        let promtool = try #require(TestEnvironment.which("promtool"))
        let file = dir.file("metrics.txt")
        try metrics.body.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try await runCommand(["/bin/sh", "-c", "\(promtool) check metrics < \(file)"])
        #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
        #expect(await sm.get("/nope").status == 404)

        let written = try nfsClient(["write", sm.nfsURL, "hello.bin", "1048576"])
        try #require(written.status == 0, "write failed: \(written.stderr)\n\(first.output)")
        let readBack = try nfsClient(["read", sm.nfsURL, "hello.bin"])
        #expect(readBack.stdout == written.stdout, "read back differs: \(readBack.stdout) \(readBack.stderr)")
        // The file is in the exported folder, not at the filesystem's root.
        #expect(FileManager.default.fileExists(atPath: sm.mountPoint + "/data/hello.bin"))
        // nfs-rs asks for a pNFS layout at every open; without pNFS Ganesha refuses, and must
        // not log a WARN each time (5000 opens gave 5000 lines).
        #expect(!first.output.contains("layoutget"), "a LAYOUTGET was logged:\n\(first.output)")

        let stopStarted = ContinuousClock.now
        first.signal(SIGTERM)
        let status = await first.wait(timeout: .seconds(15))
        #expect(status == 0, "exit after SIGTERM: \(String(describing: status))\n\(first.output)")
        #expect(ContinuousClock.now - stopStarted < .seconds(5))
        #expect(!SystemState.isMounted(sm.mountPoint), "still mounted after exit")
        #expect(SystemState.loopDevices(backing: image).isEmpty, "loop device left attached")
        #expect(first.output.contains("Ganesha stopped"))
        return written.stdout
    }

    @Test("Ganesha dying under share-manager is restarted in place, on the same mount", .realParts())
    func ganeshaRestartsInPlace() async throws {
        try await withImage(prefix: "sm-die") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-die", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let first = try sm.ganeshaPid()
                kill(first, SIGKILL)
                #expect(await sm.waitForNewGanesha(replacing: first) != nil, "Ganesha was not restarted:\n\(process.output)")
                #expect(await sm.waitUntilReady(process, timeout: .seconds(20)), "not ready after the restart:\n\(process.output)")
                #expect(process.isRunning)
                #expect(SystemState.isMounted(sm.mountPoint))
                #expect(await sm.metric("share_manager_ganesha_restarts_total") == 1)
                process.signal(SIGTERM)
                #expect(await process.wait(timeout: .seconds(15)) == 0)
            }
            #expect(!SystemState.isMounted(sm.mountPoint))
            #expect(SystemState.loopDevices(backing: image).isEmpty)
        }
    }

    @Test("a Ganesha that keeps dying: share-manager gives up after 5 restarts and exits 1", .realParts())
    func crashLoopGivesUp() async throws {
        try await withImage(prefix: "sm-loop") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-loop", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                // Kill every Ganesha the moment it has a pid file, until share-manager gives up
                // (restarts wait 0+1+2+4+8 s).
                let deadline = ContinuousClock.now + .seconds(60)
                var killed = Set<Int32>()
                while process.isRunning && ContinuousClock.now < deadline {
                    if let pid = try? sm.ganeshaPid(), !killed.contains(pid), kill(pid, SIGKILL) == 0 { killed.insert(pid) }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(await process.wait(timeout: .seconds(15)) == 1, "\(process.output)")
                #expect(killed.count == 6, "killed \(killed.count) Ganeshas")
                #expect(process.output.contains("giving up"))
            }
            #expect(!SystemState.isMounted(sm.mountPoint))
        }
    }

    @Test("SIGKILL of share-manager takes Ganesha and the bus with it: no orphan holds the port", .realParts())
    func noOrphans() async throws {
        try await withImage(prefix: "sm-orphan") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-orphan", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let ganesha = try sm.ganeshaPid()
                process.signal(SIGKILL)
                _ = await process.wait(timeout: .seconds(5))
                let deadline = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < deadline && kill(ganesha, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
                #expect(kill(ganesha, 0) != 0, "Ganesha \(ganesha) outlived share-manager")
            }
        }
    }

    @Test("Ganesha is alive and serving after 60 s idle (children are forked from a thread that never exits)", .realParts())
    func aliveAfterIdle() async throws {
        try await withImage(prefix: "sm-idle") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-idle", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let ganesha = try sm.ganeshaPid()
                try await Task.sleep(for: .seconds(60))
                #expect(kill(ganesha, 0) == 0, "Ganesha died while idle:\n\(process.output)")
                #expect(await sm.get("/readyz").status == 200)
                #expect(await sm.metric("share_manager_ganesha_restarts_total") == 0)
            }
        }
    }
}
