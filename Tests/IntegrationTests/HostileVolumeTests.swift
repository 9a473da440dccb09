import Foundation
import Testing
import TestSupport

/// A volume share-manager formatted, then changed behind its back: refused where it must not
/// be served, quarantined where only recovery entries are bad; never a crash, never a write
/// outside the volume.
@Suite("Hostile volume contents", .realParts(), .preparedImage, .timeLimit(.minutes(6)))
struct HostileVolumeTests {
    /// Few instances at once: each runs Ganesha and a bus, and the machine may have two cores.
    static let gate = Gate(limit: 4)

    @Test("tampered volume: refused or quarantined, host untouched", arguments: VolumeTampering.rows)
    func tampered(_ row: VolumeTampering) async throws {
        let base = try PreparedImage.forTest()
        try await Self.gate.run {
            try await withImage(prefix: "sm-hostile-vol", size: "0") { dir, image in
                let (outside, hash) = try await RawHTTP.offPoolThrowing {
                    try runCommand(["cp", "--sparse=always", base, image])
                    let outside = try Outside(dir.file("outside"))
                    try SystemState.changeImage(image, dir: dir) { try row.tamper($0, outside.path) }
                    try row.damage?(image)
                    return (outside, try sha256(ofFile: image))
                }
                var sm = try ShareManagerUnderTest(volume: PreparedImage.volume, dir: dir, image: image)
                sm.gracePeriod = 30
                sm.leaseLifetime = 10
                let process = try sm.start(name: "tampered")
                try await stoppingAfterwards(process) {
                    switch row.outcome {
                    case .refused(let word, let deviceUntouched):
                        let status = await process.wait(timeout: .seconds(60))
                        #expect(status == 1, "not refused with exit 1 (\(String(describing: status))):\n\(process.output)")
                        let errors = process.output.split(separator: "\n").filter { $0.contains(" level=error ") }
                        #expect(errors.count == 1, "expected one error line:\n\(process.output)")
                        #expect(errors.first?.contains(word) == true, "the error does not say '\(word)':\n\(process.output)")
                        // `child=ganesha-version` (its release, asked while the device is prepared) is not a start.
                        #expect(!process.output.contains("child=ganesha ") && !process.output.contains("child=ganesha]"),
                                "Ganesha was started:\n\(process.output)")
                        if deviceUntouched {
                            // Refused on the peek mount, before any write and before any config.
                            #expect(await RawHTTP.offPool { try? sha256(ofFile: image) } == hash, "the image changed")
                            #expect(!FileManager.default.fileExists(atPath: sm.stateDir + "/ganesha.conf"), "a config was written")
                        }
                    case .served(let quarantined):
                        try #require(await sm.waitUntilReady(process), "not served:\n\(process.output)")
                        if row.afterProbe {
                            let probes = try WriteProbeWatch(folder: sm.mountPoint + "/.share-manager")
                            #expect(await probes.waitForProbes(), "no write probe ran:\n\(process.output)")
                        }
                        let moved = (try? FileManager.default.contentsOfDirectory(atPath: sm.mountPoint + "/.share-manager/recovery-quarantine")) ?? []
                        #expect(moved.count == quarantined, "quarantine holds \(moved)")
                        if quarantined > 0 { try expectGoodRecordKept(sm.mountPoint) }
                        // One record has not reclaimed, so grace lasts: a forged line would end it.
                        if quarantined > 0 { #expect(await sm.metric("share_manager_grace_active") == 1, "grace reported over") }
                        #expect(process.isRunning)
                        process.signal(SIGTERM)
                        #expect(await process.wait(timeout: .seconds(30)) == 0, "\(process.output)")
                    }
                    #expect(!process.output.contains("Fatal error") && !process.output.contains("Program crashed"), "\(process.output)")
                }
                let loops = await RawHTTP.offPool { SystemState.loopDevices(backing: image) }
                #expect(loops.isEmpty, "a loop device (or a peek mount) was left behind")
                #expect(!MountInfo.isMounted(sm.mountPoint), "the volume is still mounted")
                await RawHTTP.offPool { MountInfo.release(folder: dir.path, image: image) }
                await outside.expectUnchanged(row.attack)
            }
        }
    }

    /// The one hostile input here that an NFS client reaches: an adopted filesystem's root is
    /// the export, and the write probe lives there.
    @Test("an NFS client's symlink where the write probe goes is never written through", .realParts(python: true))
    func clientProbeSymlink() async throws {
        try await withImage(prefix: "sm-hostile-adopt") { dir, image in
            try await runCommand(["mkfs.ext4", "-q", "-F", image])
            let outside = try Outside(dir.file("outside"))
            var sm = try ShareManagerUnderTest(volume: "vol-adopt-probe", dir: dir, image: image)
            sm.gracePeriod = 0
            sm.extra = ["--recovery-dir", dir.file("recovery")]
            let process = try sm.start(name: "adopted")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let python = try #require(Binaries.python)
                let plant = """
                    import sys
                    from nfs_rs import Client
                    with Client.connect(sys.argv[1], connect_timeout=10, operation_timeout=30) as client:
                        client.symlink(sys.argv[2], ".share-manager-probe")
                    """
                let (url, victim) = (sm.nfsURL, outside.path + "/victim")
                let planted = try await RawHTTP.offPoolThrowing { try runCommand([python, "-c", plant, url, victim]) }
                try #require(planted.status == 0, "the client could not make the symlink: \(planted.stderr)")
                // An adopted volume's probe runs at its root.
                let probes = try WriteProbeWatch(folder: sm.mountPoint)
                #expect(await probes.waitForProbes(), "no write probe ran:\n\(process.output)")
                #expect(await sm.get("/healthz").status == 200, "a client's symlink made the volume unhealthy")
            }
            await outside.expectUnchanged("client symlink at the probe's name")
        }
    }

    private func expectGoodRecordKept(_ mountPoint: String) throws {
        // Ganesha moves every record to v4old during grace; either place is the record kept.
        let base = mountPoint + "/.share-manager/recovery/"
        let kept = ["v4recov", "v4old"].contains {
            FileManager.default.fileExists(atPath: base + $0 + "/node0/" + VolumeTampering.goodRecord)
        }
        #expect(kept, "the good record is gone")
    }
}

/// A folder of the host that a tampered volume points at: an empty subfolder (which Ganesha
/// removed through a symlinked record), a file, and a victim file (which the write probe
/// overwrote through a symlink). It must come through unchanged.
struct Outside {
    let path: String
    private let before: String

    init(_ path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path + "/empty", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/keep", withIntermediateDirectories: true)
        try Data("kept\n".utf8).write(to: URL(fileURLWithPath: path + "/keep/file"))
        try Data("precious host data\n".utf8).write(to: URL(fileURLWithPath: path + "/victim"))
        before = try Self.snapshot(path)
    }

    func expectUnchanged(_ attack: String) async {
        let now = await RawHTTP.offPool { [path] in try? Self.snapshot(path) }
        #expect(now == before, "\(attack): the host folder changed")
    }

    private static func snapshot(_ path: String) throws -> String {
        try runCommand(["sh", "-c", "cd \"$0\" && find . -printf '%p %y %s\\n' | sort && cat victim keep/file", path]).stdout
    }
}

/// The volume every row starts from: formatted and served once by share-manager, then stopped.
enum PreparedImage {
    static let volume = "vol-tamper"
    @TaskLocal static var current: String?

    /// The suite's image. Its suite is gated by `.realParts()`, so a test without one is a failure.
    static func forTest() throws -> String { try #require(current, "no prepared image: the suite's scope did not run") }
}

struct WithPreparedImage: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withImage(prefix: "sm-hostile-base") { dir, image in
            let sm = try ShareManagerUnderTest(volume: PreparedImage.volume, dir: dir, image: image)
            let first = try sm.start(name: "prepare")
            try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                first.signal(SIGTERM)
                try #require(await first.wait(timeout: .seconds(30)) == 0, "\(first.output)")
            }
            try await PreparedImage.$current.withValue(image) { try await function() }
        }
    }
}

extension Trait where Self == WithPreparedImage {
    static var preparedImage: Self { WithPreparedImage() }
}
