import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Partition tables and the signatures of storage stacks (LVM, bcache): each is someone's
/// data and refused untouched.
extension DeviceIntegration.Refusal {
    @Test(.deviceParts(extraTools: ["sfdisk"])) func gptPartitionTable() async throws {
        try await Scratch.with { scratch in
            let image = try scratch.image(mebibytes: 64)
            try #require(try await runCommand(["sfdisk", "--quiet", image], stdin: Data("label: gpt\n,,L\n".utf8)).status == 0)
            try await expectRefused(scratch, image, naming: "gpt partition table")
        }
    }

    /// pvcreate needs no device-mapper: it only writes the LVM2 label and metadata.
    @Test(.deviceParts(extraTools: ["pvcreate"])) func lvmPhysicalVolume() async throws {
        try await Scratch.with { scratch in
            let image = try scratch.image(mebibytes: 64)
            let loop = try attachElsewhere(image)
            let created = try await runCommand(["pvcreate", "--yes", "--quiet", loop], environment: ProcessInfo.processInfo.environment.merging(["LVM_SUPPRESS_FD_WARNINGS": "1"]) { $1 })
            _ = try await runCommand(["losetup", "-d", loop])
            try #require(created.status == 0, "pvcreate failed: \(created.stderr)")
            try await expectRefused(scratch, image, naming: "LVM2_member")
        }
    }

    @Test(.deviceParts(extraTools: ["make-bcache"])) func bcacheBackingDevice() async throws {
        try await Scratch.with { scratch in
            let image = try scratch.image(mebibytes: 64)
            try await mustRun(["make-bcache", "-B", image])
            try await expectRefused(scratch, image, naming: "bcache")
        }
    }
}
