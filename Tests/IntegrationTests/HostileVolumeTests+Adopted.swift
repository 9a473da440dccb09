import Foundation
import Testing
import TestSupport

/// Issue 16 rows 3 and 4: an adopted filesystem is exported at its root, so an NFS client can
/// write a `.share-manager` folder there. Whatever it writes, the next start serves the
/// volume as before: adopted, at its root, records in --recovery-dir, nothing followed.
extension HostileVolumeTests {
    @Test("adopted volume: a planted marker changes nothing", .realParts(python: true), arguments: AdoptedTampering.rows)
    func adoptedTampered(_ row: AdoptedTampering) async throws {
        try await Self.gate.run {
            try await withImage(prefix: "sm-hostile-adopted") { dir, image in
                let planted = try await RawHTTP.offPoolThrowing {
                    try runCommand(["mkfs.ext4", "-q", "-F", image])
                    var listing = ""
                    try SystemState.changeImage(image, dir: dir) { root in
                        try Data("user data\n".utf8).write(to: URL(fileURLWithPath: root + "/hello.txt"))
                        try AdoptedTampering.plantBeside(root)
                        try row.plant(root)
                        listing = try AdoptedTampering.listing(root)
                    }
                    return listing
                }
                try await expectServedAtRoot(dir: dir, image: image, planted: planted, name: "adopted")
            }
        }
    }

    /// The issue's own case, written by a real NFS client through the export.
    @Test("adopted volume: a marker an NFS client writes through the export changes nothing", .realParts(python: true))
    func adoptedClientWritesMarker() async throws {
        try await withImage(prefix: "sm-hostile-adopted-nfs") { dir, image in
            try await RawHTTP.offPoolThrowing {
                _ = try runCommand(["mkfs.ext4", "-q", "-F", image])
                try SystemState.changeImage(image, dir: dir) { try Data("user data\n".utf8).write(to: URL(fileURLWithPath: $0 + "/hello.txt")) }
            }
            var sm = try ShareManagerUnderTest(volume: "vol-adopted", dir: dir, image: image)
            sm.gracePeriod = 0
            sm.extra = ["--recovery-dir", dir.file("recovery")]
            let first = try sm.start(name: "first")
            let planted = try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                let python = try #require(Binaries.python)
                let plant = """
                    import sys
                    from nfs_rs import Client
                    with Client.connect(sys.argv[1], connect_timeout=10, operation_timeout=30) as c:
                        c.mkdir(".share-manager/recovery/v4recov/node0/10.0.0.9-(4:fake)", parents=True)
                        c.mkdir("data")
                        with c.open(".share-manager/volume.json", "wb") as f:
                            f.write(b'{"volume":"vol-adopted","layoutVersion":1}')
                    """
                let url = sm.nfsURL
                let result = try await RawHTTP.offPoolThrowing { try runCommand([python, "-c", plant, url]) }
                try #require(result.status == 0, "the client could not plant the marker: \(result.stderr)")
                let listing = try await RawHTTP.offPoolThrowing { [mountPoint = sm.mountPoint] in try AdoptedTampering.listing(mountPoint) }
                first.signal(SIGTERM)
                #expect(await first.wait(timeout: .seconds(30)) == 0, "\(first.output)")
                return listing
            }
            try await expectServedAtRoot(dir: dir, image: image, planted: planted, name: "second")
        }
    }

    private func expectServedAtRoot(dir: TemporaryDirectory, image: String, planted: String, name: String) async throws {
        var sm = try ShareManagerUnderTest(volume: "vol-adopted", dir: dir, image: image)
        sm.gracePeriod = 0
        sm.extra = ["--recovery-dir", dir.file("recovery")]
        let process = try sm.start(name: name)
        try await stoppingAfterwards(process) {
            try #require(await sm.waitUntilReady(process), "not served:\n\(process.output)")
            #expect(process.output.contains("adopted=true"), "not adopted:\n\(process.output)")
            let url = sm.nfsURL
            let read = try await RawHTTP.offPoolThrowing { try nfsClient(["read", url, "hello.txt"]) }
            #expect(read.status == 0 && read.stdout.hasSuffix(" 10\n"), "the export moved off the root: \(read.stdout)\(read.stderr)")
            let (now, records) = try await RawHTTP.offPoolThrowing { [mountPoint = sm.mountPoint] in
                (try AdoptedTampering.listing(mountPoint), try runCommand(["find", dir.file("recovery")]).stdout)
            }
            #expect(now == planted, "share-manager changed what the client wrote")
            #expect(!records.contains("fake"), "the planted records were loaded: \(records)")
            process.signal(SIGTERM)
            #expect(await process.wait(timeout: .seconds(30)) == 0, "\(process.output)")
        }
        #expect(!process.output.contains("Fatal error") && !process.output.contains("Program crashed"), "\(process.output)")
        #expect(!MountInfo.isMounted(sm.mountPoint), "the volume is still mounted")
        #expect(await RawHTTP.offPool { SystemState.loopDevices(backing: image) }.isEmpty, "a loop device was left behind")
    }
}

/// What a client can leave at `.share-manager/volume.json` on an adopted filesystem.
struct AdoptedTampering: Sendable, CustomTestStringConvertible {
    let attack: String
    let plant: @Sendable (_ root: String) throws -> Void
    var testDescription: String { attack }

    static let marker = "/.share-manager/volume.json"

    /// Beside every marker: a `data/` folder and a recovery record, as the issue's client made.
    static func plantBeside(_ root: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/.share-manager/recovery/v4recov/node0/10.0.0.9-(4:fake)", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
    }

    /// Every path below the root with its type and size, the marker's bytes included when it is a small file.
    static func listing(_ root: String) throws -> String {
        try runCommand(["sh", "-c", "cd \"$0\" && find . -path ./lost+found -prune -o -printf '%p %y %s\\n' | sort && if [ -f .share-manager/volume.json ] && [ ! -L .share-manager/volume.json ]; then head -c 4096 .share-manager/volume.json | sha256sum; fi", root]).stdout
    }

    private static func write(_ root: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + marker))
    }

    static let rows: [AdoptedTampering] = [
        .init(attack: "marker naming this volume, data/ and fake records (was: exported at /data, records loaded)") {
            try write($0, #"{"volume":"vol-adopted","layoutVersion":1}"#)
        },
        .init(attack: "marker naming another volume (was: refused for good)") { try write($0, #"{"volume":"vol-other","layoutVersion":1}"#) },
        .init(attack: "marker with a layout from the future (was: refused for good)") { try write($0, #"{"volume":"vol-adopted","layoutVersion":99}"#) },
        .init(attack: "marker is garbage (was: refused for good)") { try write($0, "\u{1b}[2J not json\n") },
        .init(attack: "marker is empty") { try write($0, "") },
        .init(attack: "marker is 10 MiB") { try write($0, #"{"volume":"vol-adopted","layoutVersion":1,"pad":""# + String(repeating: "A", count: 10 << 20) + #""}"#) },
        .init(attack: "marker is a FIFO") { guard mkfifo($0 + marker, 0o600) == 0 else { throw POSIXError(.EIO) } },
        .init(attack: "marker is a symlink to /etc/passwd") { try FileManager.default.createSymbolicLink(atPath: $0 + marker, withDestinationPath: "/etc/passwd") },
        .init(attack: "marker is a symlink to /dev/zero") { try FileManager.default.createSymbolicLink(atPath: $0 + marker, withDestinationPath: "/dev/zero") },
        .init(attack: "marker is a folder") { try FileManager.default.createDirectory(atPath: $0 + marker, withIntermediateDirectories: false) },
        .init(attack: "marker folder is a symlink to the host's /etc") {
            try FileManager.default.removeItem(atPath: $0 + "/.share-manager")
            try FileManager.default.createSymbolicLink(atPath: $0 + "/.share-manager", withDestinationPath: "/etc")
        },
    ]
}
