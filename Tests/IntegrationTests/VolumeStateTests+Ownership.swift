import Foundation
import Testing
import TestSupport

/// Whose filesystem a device holds, end to end through the binary (issue 16 row 1 and the
/// migration of volumes formatted before the label was kept).
extension VolumeStateTests {
    private func blkid(_ field: String, _ image: String) async throws -> String {
        try await runCommand(["blkid", "-p", "-o", "value", "-s", field, image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("a pending ext4 holding a user's files is refused untouched, and served as it is with --recovery-dir", .realParts(python: true))
    func pendingWithUserFiles() async throws {
        try await withImage(prefix: "sm-pending-data") { dir, image in
            try await RawHTTP.offPoolThrowing {
                _ = try runCommand(["mkfs.ext4", "-q", "-F", "-L", "sm-pending", image])
                try SystemState.changeImage(image, dir: dir) { try "a user's file\n".write(toFile: $0 + "/hello.txt", atomically: true, encoding: .utf8) }
            }
            let before = try await sha256(ofFile: image)
            var sm = try ShareManagerUnderTest(volume: "vol-pending", dir: dir, image: image)
            let refused = try sm.start(name: "refused")
            let status = try await stoppingAfterwards(refused) { await refused.wait(timeout: .seconds(30)) }
            #expect(status == 1, "not refused (was: formatted again):\n\(refused.output)")
            let errors = refused.output.split(separator: "\n").filter { $0.contains(" level=error ") }
            #expect(errors.count == 1 && errors.first?.contains("hello.txt") == true && errors.first?.contains("--recovery-dir") == true, "\(refused.output)")
            #expect(try await sha256(ofFile: image) == before, "the refusal changed the image")

            sm.extra = ["--recovery-dir", dir.file("recovery")]
            let served = try sm.start(name: "adopted")
            try await stoppingAfterwards(served) {
                try #require(await sm.waitUntilReady(served), "never ready:\n\(served.output)")
                let url = sm.nfsURL
                let read = try await RawHTTP.offPoolThrowing { try nfsClient(["read", url, "hello.txt"]) }
                #expect(read.status == 0 && read.stdout.hasSuffix(" 14\n"), "\(read.stdout)\(read.stderr)")
                served.signal(SIGTERM)
                #expect(await served.wait(timeout: .seconds(30)) == 0, "\(served.output)")
            }
        }
    }

    @Test("a pending ext4 holding only what mkfs wrote is finished without a second mkfs", .realParts())
    func pendingOnlyMkfs() async throws {
        try await withImage(prefix: "sm-pending-empty") { dir, image in
            _ = try await runCommand(["mkfs.ext4", "-q", "-F", "-L", "sm-pending", image])
            let uuid = try await blkid("UUID", image)
            let sm = try ShareManagerUnderTest(volume: "vol-pending", dir: dir, image: image)
            let process = try sm.start(name: "finish")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                #expect(!process.output.contains("formatting device"), "formatted again:\n\(process.output)")
                #expect(FileManager.default.fileExists(atPath: sm.mountPoint + "/.share-manager/volume.json"))
                process.signal(SIGTERM)
                #expect(await process.wait(timeout: .seconds(30)) == 0, "\(process.output)")
            }
            #expect(try await blkid("UUID", image) == uuid)
            #expect(try await blkid("LABEL", image) == "sm-volume")
        }
    }

    @Test("a volume formatted before the label was kept (marker, no label) is labelled and served at /data", .realParts(python: true))
    func legacyVolume() async throws {
        try await withImage(prefix: "sm-legacy") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-legacy", dir: dir, image: image)
            let first = try sm.start(name: "format")
            let written = try await stoppingAfterwards(first) {
                try #require(await sm.waitUntilReady(first), "never ready:\n\(first.output)")
                let url = sm.nfsURL
                let written = try await RawHTTP.offPoolThrowing { try nfsClient(["write", url, "data.bin", "4096"]).stdout }
                first.signal(SIGTERM)
                #expect(await first.wait(timeout: .seconds(30)) == 0, "\(first.output)")
                return written
            }
            // What an earlier share-manager left: the label cleared after the format.
            _ = try await runCommand(["e2label", image, ""])
            let second = try sm.start(name: "legacy")
            try await stoppingAfterwards(second) {
                try #require(await sm.waitUntilReady(second), "never ready:\n\(second.output)")
                #expect(second.output.contains("adopted=false"), "\(second.output)")
                let url = sm.nfsURL
                #expect(try await RawHTTP.offPoolThrowing { try nfsClient(["read", url, "data.bin"]).stdout } == written)
                second.signal(SIGTERM)
                #expect(await second.wait(timeout: .seconds(30)) == 0, "\(second.output)")
            }
            #expect(try await blkid("LABEL", image) == "sm-volume")
        }
    }
}
