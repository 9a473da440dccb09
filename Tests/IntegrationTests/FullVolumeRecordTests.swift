import Foundation
import Glibc
import Testing
import TestSupport

/// Issue 16 row 8: a client that opens and locks on a full volume gets its lock, but Ganesha
/// cannot write its recovery record. Share-manager cannot keep room for the record on this
/// kernel (no project quota: see docs/volume-states.md), so the failure must at least not be
/// silent: it is counted and logged, and the test pins what the client then meets.
@Suite("a lock taken on a full volume", .serialized, .timeLimit(.minutes(4)))
struct FullVolumeRecordTests {
    enum Fill: String, CaseIterable, Sendable {
        case blocks, inodes
        /// An adopted volume keeps its records in `--recovery-dir`, here a tmpfs out of inodes.
        case adoptedRecoveryDir
    }

    @Test("the failed record write is counted and logged; after a Ganesha kill the reclaim is refused", .realParts(extraTools: ["mkfs.ext4"]), arguments: Fill.allCases)
    func lockOnFullVolume(_ fill: Fill) async throws {
        try await withImage(prefix: "sm-full-\(fill.rawValue)") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-full", dir: dir, image: image)
            sm.gracePeriod = 20
            sm.leaseLifetime = 20
            let full = fill == .adoptedRecoveryDir ? dir.file("records-fs") : sm.mountPoint + "/data"
            if fill == .adoptedRecoveryDir {
                try await RawHTTP.offPoolThrowing {
                    try runCommand(["mkfs.ext4", "-q", "-F", image])
                    try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: false)
                    try runCommand(["mount", "-t", "tmpfs", "-o", "mode=0700,size=1m,nr_inodes=64", "sm-records", full])
                }
                sm.extra = ["--recovery-dir", full + "/recovery"]
            }
            defer { if fill == .adoptedRecoveryDir { _ = try? runCommand(["umount", full]) } }
            try await lockAndKill(sm, filling: full, by: fill)
        }
    }

    private func lockAndKill(_ sm: ShareManagerUnderTest, filling full: String, by fill: Fill) async throws {
        let server = try sm.start(name: "server")
        try await stoppingAfterwards(server) {
            try #require(await sm.waitUntilReady(server), "\(server.output)")
            let name = "share_manager_recovery_record_failures_total"
            #expect(await sm.metric(name) == 0, "the family is there from the first scrape, at 0")
            // The file exists before the volume fills: opening it then needs no space.
            let made = try await ReclaimClient.run("write-once", sm, name: "pre", ["--file", "held.bin", "--owner", "pre", "--bytes", "4096"])
            try #require(made.contains { $0["event"] as? String == "written" }, "\(made)")
            try await offPool { try Self.fill(full, byBlocks: fill == .blocks) }

            let a = try ReclaimClient.start("hold", sm, name: "client-a", [
                "--file", "held.bin", "--owner", "client-a", "--lock-offset", "0", "--lock-length", "100",
                "--write-bytes", "0", "--duration", "120", "--reconnect-timeout", "60",
            ])
            try await stoppingAfterwards(a.process) {
                try #require(await a.wait(for: "holding", timeout: .seconds(30)) != nil, "\(a.events)")
                let counted = await Self.poll(seconds: 10) { await sm.metric(name) == 1 }
                let metric = await sm.metric(name)
                #expect(counted, "\(name): \(String(describing: metric))")
                #expect(server.output.contains("Ganesha could not write a client's recovery record"), "\(server.output)")
                #expect(server.output.contains("record=node0/::ffff:127.0.0.1-(8:client-a)"), "\(server.output)")

                // What the count warns of: with no record, the restarted Ganesha lifts grace
                // at once and refuses the reclaim. A reserve for the records (project quota,
                // where the kernel has it) would turn this into NFS4_OK.
                kill(try sm.ganeshaPid(), SIGKILL)
                let reclaimed = try #require(await a.wait(for: "reclaimed", timeout: .seconds(60)), "\(a.events)")
                #expect(reclaimed["open"] as? String == "NFS4ERR_NO_GRACE", "\(reclaimed)")
            }
        }
    }

    /// Waits until `condition` holds, checking every 200 ms.
    static func poll(seconds: Int, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return await condition()
    }

    /// Fills `dir` as a root process would (the volume is formatted with `-m 0`, so root has
    /// no reserve either). By blocks: one file of zeros, then directories, one block each,
    /// until none fits (delayed allocation refuses file data while a few blocks are still
    /// free, and a record is a directory). By inodes: empty files until none is left.
    static func fill(_ dir: String, byBlocks: Bool) throws {
        if byBlocks {
            let fd = open("\(dir)/fill", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            let chunk = [UInt8](repeating: 0, count: 1 << 16)
            while write(fd, chunk, chunk.count) > 0 {}
            fsync(fd)
            close(fd)
            sync()
        }
        var index = 0
        while true {
            let path = "\(dir)/fill-\(index)"
            index += 1
            if byBlocks {
                if mkdir(path, 0o755) != 0 { break }
            } else {
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if fd < 0 { break }
                close(fd)
            }
        }
        guard errno == ENOSPC else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
