import Foundation
import Testing
import TestSupport

/// Content share-manager must not format or mount: each is refused with one line on stderr,
/// a non-zero exit, and every byte of the image unchanged.
@Suite("share-manager refuses devices it must not touch", .serialized, .timeLimit(.minutes(3)))
struct RefusalTests {
    func expectRefused(_ image: String, dir: TemporaryDirectory, mentioning word: String, _ more: String...) async throws {
        let before = try await sha256(ofFile: image)
        let sm = try ShareManagerUnderTest(volume: "vol-refuse", dir: dir, image: image)
        // Only the mount: the caller owns the loop devices of the image (one may be the test's own).
        defer { if SystemState.isMounted(sm.mountPoint) { _ = try? runCommand(["umount", "-l", sm.mountPoint]) } }
        let process = try sm.start(name: "refused-\(word.filter { $0.isLetter })")
        let status = try await stoppingAfterwards(process) { await process.wait(timeout: .seconds(30)) }
        #expect(status != nil && status != 0, "not refused:\n\(process.output)")
        let errorLines = try String(contentsOfFile: process.stderrPath, encoding: .utf8)
            .split(separator: "\n").filter { $0.contains(" level=error ") }
        #expect(errorLines.count == 1, "expected one error line:\n\(process.output)")
        for word in [word] + more {
            #expect(errorLines.first?.localizedCaseInsensitiveContains(word) == true, "error does not say '\(word)':\n\(process.output)")
        }
        #expect(try await sha256(ofFile: image) == before, "image bytes changed")
        #expect(!SystemState.isMounted(sm.mountPoint))
    }

    @Test("a LUKS header is refused", .realParts(extraTools: ["cryptsetup"]))
    func luks() async throws {
        try await withImage(prefix: "sm-luks", size: "32M") { dir, image in
            let key = dir.file("key")
            try "not-a-secret".write(toFile: key, atomically: true, encoding: .utf8)
            let made = try await runCommand([
                "cryptsetup", "luksFormat", "--batch-mode", "--pbkdf", "pbkdf2",
                "--pbkdf-force-iterations", "1000", "--key-file", key, image,
            ])
            try #require(made.status == 0, "luksFormat: \(made.stderr)")
            try await expectRefused(image, dir: dir, mentioning: "LUKS")
            #expect(SystemState.loopDevices(backing: image).isEmpty)
        }
    }

    @Test("random bytes with no signature are refused (they may be someone's encrypted data)", .realParts())
    func randomBytes() async throws {
        try await withImage(prefix: "sm-rand", size: "0") { dir, image in
            try await runCommand(["dd", "if=/dev/urandom", "of=\(image)", "bs=1M", "count=16", "status=none"])
            try await expectRefused(image, dir: dir, mentioning: "blank")
            #expect(SystemState.loopDevices(backing: image).isEmpty)
        }
    }

    @Test("an image already attached and mounted elsewhere is refused", .realParts())
    func attachedElsewhere() async throws {
        let dir = try TemporaryDirectory(prefix: "sm-busy")
        defer { dir.remove() }
        let image = dir.file("busy.img")
        try await runCommand(["truncate", "-s", "64M", image])
        try await runCommand(["mkfs.ext4", "-q", "-F", image])
        let loop = try await runCommand(["losetup", "--find", "--show", image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(loop.hasPrefix("/dev/loop"))
        defer { _ = try? runCommand(["losetup", "-d", loop]) }
        let elsewhere = dir.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try #require(try await runCommand(["mount", loop, elsewhere]).status == 0)
        defer { _ = try? runCommand(["umount", elsewhere]) }
        // Checksum the image with the other mount idle; ours must not add a write.
        try await runCommand(["sync"])
        // Named with the command that clears it (issue 20 item 5).
        try await expectRefused(image, dir: dir, mentioning: "attached to \(loop); two attachments", "losetup -d \(loop)")
        // The loop device given directly is refused as well: it is mounted.
        let sm = try ShareManagerUnderTest(volume: "vol-refuse", dir: dir, image: loop)
        let direct = try sm.start(name: "direct")
        let status = try await stoppingAfterwards(direct) { await direct.wait(timeout: .seconds(30)) }
        #expect(status != nil && status != 0, "mounted loop device not refused:\n\(direct.output)")
        #expect(direct.output.contains("umount \(elsewhere)"), "the refusal does not name the command that clears it:\n\(direct.output)")
    }
}
