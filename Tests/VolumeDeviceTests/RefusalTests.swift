import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Devices that are not blank and not ours: each is refused and left byte for byte as it was.
extension DeviceIntegration {
    @Suite struct Refusal {
        /// Prepares `image` and expects a `notBlank` refusal whose description mentions `expected`.
        func expectRefused(_ scratch: Scratch, _ image: String, naming expected: String) async throws {
            let error = try await untouchedRefusal(scratch.preparer(image), image: image)
            guard case .notBlank(_, let found) = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(found.contains(expected), "found: \(found)")
            #expect(error?.description.contains("\n") == false)
            #expect(try !MountTable.current().isMountPoint(scratch.mountPoint))
        }

        @Test(.deviceParts()) func otherVolumesMarker() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await VolumePreparer.release(try await scratch.preparer(image, volume: "vol-b").prepare(), logger: testLogger)
                let error = try await untouchedRefusal(scratch.preparer(image, volume: "vol-a"), image: image)
                guard case .otherVolume(_, "vol-b", "vol-a") = error else { Issue.record("got \(String(describing: error))"); return }
            }
        }

        @Test(.deviceParts()) func ext4WithoutMarker() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await mustRun(["mkfs.ext4", "-q", "-F", image])
                let error = try await untouchedRefusal(scratch.preparer(image), image: image)
                guard case .markerMissing(_, .ext4) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(error?.description.contains("--recovery-dir") == true)
            }
        }

        @Test(.deviceParts(extraTools: ["cryptsetup"])) func luks() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let key = scratch.directory.file("key")
                try Data(randomBytes(32)).write(to: URL(fileURLWithPath: key))
                // pbkdf2 with few iterations: argon2's memory-hard default is slow and needless here.
                try await mustRun([
                    "cryptsetup", "luksFormat", "--batch-mode", "--key-file", key,
                    "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", image,
                ])
                try await expectRefused(scratch, image, naming: "crypto_LUKS")
            }
        }

        @Test(.deviceParts()) func randomDataAtBothEnds() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try overwrite(image, at: 0, with: randomBytes(1 << 20))
                try overwrite(image, at: 63 << 20, with: randomBytes(1 << 20))
                try await expectRefused(scratch, image, naming: "non-zero data")
            }
        }

        @Test(.deviceParts()) func smallImageFullOfRandomData() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 1)
                try overwrite(image, at: 0, with: randomBytes(1 << 20))
                try await expectRefused(scratch, image, naming: "non-zero data")
            }
        }

        @Test(.deviceParts()) func oneByteInLastMiB() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try overwrite(image, at: (64 << 20) - 4096, with: [0x01])
                try await expectRefused(scratch, image, naming: "non-zero data")
            }
        }

        @Test(.deviceParts(extraTools: ["mkswap"])) func swapSignature() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await mustRun(["mkswap", image])
                try await expectRefused(scratch, image, naming: "swap")
            }
        }

        /// sfdisk and parted are absent here, so without them the table is written by hand: one
        /// Linux partition entry and the 0x55AA boot signature, which is all blkid looks for.
        @Test(.deviceParts()) func partitionTable() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                if TestEnvironment.which("sfdisk") != nil {
                    _ = try await runCommand(["sfdisk", "--quiet", image], stdin: Data("label: dos\n,,L\n".utf8))
                } else {
                    let entry: [UInt8] = [0x00, 0, 0, 0, 0x83, 0, 0, 0, 0x00, 0x08, 0, 0, 0x00, 0xf8, 0x01, 0]
                    try overwrite(image, at: 446, with: entry)
                    try overwrite(image, at: 510, with: [0x55, 0xaa])
                }
                try await expectRefused(scratch, image, naming: "dos partition table")
            }
        }

        @Test(.deviceParts(extraTools: ["mkfs.xfs"])) func ext4AndXFSAtOnce() async throws {
            try await Scratch.with { scratch in
                let xfs = try scratch.image("xfs.img", mebibytes: 320)
                try await mustRun(["mkfs.xfs", "-q", "-f", xfs])
                let image = try scratch.image(mebibytes: 64)
                try await mustRun(["mkfs.ext4", "-q", "-F", image])
                // ext4 leaves its first KiB unused, where the xfs superblock goes: both valid at once.
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: xfs))
                let superblock = try handle.read(upToCount: 512) ?? Data()
                try handle.close()
                try overwrite(image, at: 0, with: Array(superblock))
                #expect(try await runCommand(["blkid", "-p", image]).status == 8)
                try await expectRefused(scratch, image, naming: "several signatures")
            }
        }
    }
}
