import Foundation
import Testing
import TestSupport

/// Device states beyond the blank image, end to end through the binary and an NFS client.
@Suite("share-manager across volume states", .serialized, .timeLimit(.minutes(8)))
struct VolumeStateTests {
    /// An ext4 made elsewhere with a file at its root.
    private func makeForeignExt4(_ image: String, dir: TemporaryDirectory) async throws {
        try await RawHTTP.offPoolThrowing {
            try runCommand(["mkfs.ext4", "-q", "-F", image])
            try SystemState.changeImage(image, dir: dir) { root in
                try "made elsewhere\n".write(toFile: root + "/hello.txt", atomically: true, encoding: .utf8)
            }
        }
    }

    @Test("an adopted ext4 is refused without --recovery-dir and served at its root with it", .realParts(python: true))
    func adopted() async throws {
        try await withImage(prefix: "sm-adopt") { dir, image in
            try await makeForeignExt4(image, dir: dir)
            let before = try await sha256(ofFile: image)
            var sm = try ShareManagerUnderTest(volume: "vol-adopt", dir: dir, image: image)
            let refused = try sm.start(name: "no-recovery-dir")
            let status = try await stoppingAfterwards(refused) { await refused.wait(timeout: .seconds(30)) }
            #expect(status == 1, "\(refused.output)")
            #expect(refused.output.contains("--recovery-dir"), "the refusal must say what to do:\n\(refused.output)")
            #expect(try await sha256(ofFile: image) == before, "refusal changed the image")

            sm.extra = ["--recovery-dir", dir.file("recovery")]
            let served = try sm.start(name: "adopted")
            try await stoppingAfterwards(served) {
                try #require(await sm.waitUntilReady(served), "never ready:\n\(served.output)")
                let read = try nfsClient(["read", sm.nfsURL, "hello.txt"])
                #expect(read.status == 0 && read.stdout.hasSuffix(" 15\n"), "\(read.stdout)\(read.stderr)")
                #expect(!FileManager.default.fileExists(atPath: sm.mountPoint + "/.share-manager"), "wrote into the user's root")
                served.signal(SIGTERM)
                #expect(await served.wait(timeout: .seconds(15)) == 0)
            }
            #expect(FileManager.default.fileExists(atPath: dir.file("recovery")))
        }
    }

    @Test("xfs grows online from 320 to 640 MiB while a client is connected, and the client sees it", .realParts(python: true, extraTools: ["mkfs.xfs", "xfs_growfs"]))
    func xfsOnlineGrow() async throws {
        try await withImage(prefix: "sm-grow", size: "320M") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-grow", dir: dir, image: image)
            sm.extra = ["--fs-type", "xfs"]
            let process = try sm.start(name: "grow")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let python = try #require(Binaries.python)
                let client = try ChildProcess(
                    [python, Binaries.nfsClientScript, "wait-size", sm.nfsURL, String(500 << 20), "40"],
                    logDirectory: dir.path, name: "client"
                )
                try await stoppingAfterwards(client) {
                    // Grow only once the client is connected and has seen the old size.
                    let deadline = ContinuousClock.now + .seconds(20)
                    while ContinuousClock.now < deadline, !((try? String(contentsOfFile: client.stdoutPath, encoding: .utf8)) ?? "").contains("connected") {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    try await runCommand(["truncate", "-s", "640M", image])
                    let status = await client.wait(timeout: .seconds(45))
                    #expect(status == 0, "client did not see the new size:\n\(client.output)\n\(process.output)")
                }
                #expect((await sm.metric("share_manager_filesystem_size_bytes") ?? 0) > Double(500 << 20))
            }
        }
    }

    @Test("ext4 is grown at the next start when the device grew while it was stopped", .realParts(extraTools: ["resize2fs"]))
    func ext4OfflineGrow() async throws {
        try await withImage(prefix: "sm-grow4") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-grow4", dir: dir, image: image)
            let first = try sm.start(name: "first")
            let before = try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                return await sm.metric("share_manager_filesystem_size_bytes") ?? 0
            }
            // A real volume was last checked well before its last mount, which resize2fs
            // refuses to grow without a forced check; the test's own run is too quick for that.
            #expect(try await runCommand(["tune2fs", "-T", "20200101", image]).status == 0)
            try await runCommand(["truncate", "-s", "128M", image])
            let second = try sm.start(name: "second")
            try await stoppingAfterwards(second) {
                try #require(await sm.waitUntilReady(second), "never ready:\n\(second.output)")
                let after = await sm.metric("share_manager_filesystem_size_bytes") ?? 0
                #expect(after > before * 1.8, "before \(before), after \(after)\n\(second.output)")
            }
        }
    }

    @Test("an ext4 error turns /healthz 503 with the reason within 11 s", .realParts())
    func ext4Error() async throws {
        try await withImage(prefix: "sm-ro") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-ro", dir: dir, image: image)
            let process = try sm.start(name: "ro")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                #expect(await sm.get("/healthz").status == 200)
                let loop = try #require(SystemState.loopDevices(backing: image).split(separator: ":").first)
                let trigger = "/sys/fs/ext4/\(loop.split(separator: "/").last ?? "")/trigger_fs_error"
                try "1".write(toFile: trigger, atomically: false, encoding: .utf8)
                // The wait's timeout is the bound: a second check of the time it took could not fail.
                #expect(await sm.waitFor("/healthz", status: 503, timeout: .seconds(11)))
                #expect(await sm.get("/healthz").body.contains("not writable"))
                #expect(await sm.metric("share_manager_filesystem_readonly") == 1)
            }
        }
    }

    @Test("an xfs shutdown turns /healthz 503 within 11 s", .realParts(extraTools: ["mkfs.xfs", "xfs_io"]))
    func xfsShutdown() async throws {
        try await withImage(prefix: "sm-xfsro", size: "320M") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-xfsro", dir: dir, image: image)
            sm.extra = ["--fs-type", "xfs"]
            let process = try sm.start(name: "xfsro")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                try #require(try await runCommand(["xfs_io", "-x", "-c", "shutdown", sm.mountPoint]).status == 0)
                #expect(await sm.waitFor("/healthz", status: 503, timeout: .seconds(11)))
            }
        }
    }

    @Test("SIGTERM during a format lets mkfs finish, stops cleanly, and the next start finds a complete volume", .realParts())
    func sigtermDuringFormat() async throws {
        try await withImage(prefix: "sm-fmt", size: "2G") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-fmt", dir: dir, image: image)
            // Writing every inode table up front makes the format long enough to interrupt.
            sm.extra = ["--mkfs-options=-E lazy_itable_init=0,lazy_journal_init=0"]
            let first = try sm.start(name: "first")
            try await stoppingAfterwards(first) {
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline && !first.output.contains("formatting") {
                    try await Task.sleep(for: .milliseconds(5))
                }
                first.signal(SIGTERM)
                #expect(await first.wait(timeout: .seconds(60)) == 0, "\(first.output)")
            }
            #expect(!SystemState.isMounted(sm.mountPoint))
            #expect(SystemState.loopDevices(backing: image).isEmpty)
            sm.extra = []
            let second = try sm.start(name: "second")
            try await stoppingAfterwards(second) {
                try #require(await sm.waitUntilReady(second), "never ready:\n\(second.output)")
                #expect(!second.output.contains("formatting device"), "formatted again:\n\(second.output)")
            }
        }
    }

    @Test("a read-only share is served, refuses writes and stays healthy", .realParts(python: true))
    func readOnlyShare() async throws {
        try await withImage(prefix: "sm-roshare") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-roshare", dir: dir, image: image)
            let first = try sm.start(name: "format")
            let written = try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                return try nfsClient(["write", sm.nfsURL, "data.bin", "4096"]).stdout
            }
            sm.extra = ["--access-type", "RO", "--recovery-dir", dir.file("recovery")]
            let readOnly = try sm.start(name: "ro")
            try await stoppingAfterwards(readOnly) {
                try #require(await sm.waitUntilReady(readOnly), "never ready:\n\(readOnly.output)")
                #expect(try nfsClient(["read", sm.nfsURL, "data.bin"]).stdout == written)
                #expect(try nfsClient(["write", sm.nfsURL, "new.bin", "16"]).status != 0, "a write succeeded on an RO share")
                // A read-only share's probe writes nothing there is to see (it reads mountinfo),
                // so watch /healthz across a whole probe interval: staying 200 is what is tested.
                #expect(await !sm.waitFor("/healthz", status: 503, timeout: .seconds(6)), "unhealthy:\n\(readOnly.output)")
                #expect(await sm.get("/healthz").status == 200)
                #expect(await sm.metric("share_manager_filesystem_readonly") == 0)
            }
        }
    }
}
