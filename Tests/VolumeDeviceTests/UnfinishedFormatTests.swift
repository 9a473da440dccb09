import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// A format is unfinished until its `sm-pending` label is cleared; the next start formats
/// such a filesystem again, since nothing was exported from it.
extension DeviceIntegration {
    @Suite struct Unfinished {
        /// mkfs ran and the process died right after.
        @Test(arguments: FilesystemType.allCases)
        func pendingLabelAloneIsFormattedAgain(fsType: FilesystemType) async throws {
            guard mayRun("pendingLabelAloneIsFormattedAgain(\(fsType))", extraTools: ["mkfs.xfs", "xfs_io", "e2label"]) else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: fsType == .xfs ? 320 : 64)
                try await mustRun([fsType.mkfsCommand.tool] + fsType.mkfsCommand.arguments + ["-L", "sm-pending", image])
                let prepared = try await scratch.preparer(image, fsType: fsType).prepare()
                #expect(prepared.formatted && !prepared.adopted)
                #expect(try VolumeMarker.read(fromRoot: scratch.mountPoint)?.volume == "vol-a")
                #expect(blkidLabel(prepared.devicePath) == "", "the label is cleared while mounted")
                try await VolumePreparer.release(prepared, logger: testLogger)
                #expect(blkidLabel(image) == "")
            }
        }

        /// mkfs and the layout were written, the marker not yet.
        @Test func layoutWithoutMarkerIsFormattedAgain() async throws {
            guard mayRun("layoutWithoutMarkerIsFormattedAgain") else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await mustRun(["mkfs.ext4", "-q", "-F", "-L", "sm-pending", image])
                try scratch.mountedElsewhere(image) { root in
                    try FileManager.default.createDirectory(atPath: root + "/.share-manager/recovery", withIntermediateDirectories: true)
                    try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
                    try Data("half".utf8).write(to: URL(fileURLWithPath: root + "/data/left-over"))
                }

                let prepared = try await scratch.preparer(image).prepare()
                #expect(prepared.formatted)
                #expect(!FileManager.default.fileExists(atPath: prepared.exportPath + "/left-over"), "formatted anew")
                #expect(try VolumeMarker.read(fromRoot: scratch.mountPoint) == VolumeMarker(volume: "vol-a"))
                try await VolumePreparer.release(prepared, logger: testLogger)
                #expect(blkidLabel(image) == "")
            }
        }

        /// The marker was written but the label not cleared: ours and complete, so kept.
        @Test(arguments: FilesystemType.allCases)
        func pendingLabelWithMarkerIsKept(fsType: FilesystemType) async throws {
            guard mayRun("pendingLabelWithMarkerIsKept(\(fsType))", extraTools: ["mkfs.xfs", "xfs_admin", "xfs_io", "e2label"]) else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: fsType == .xfs ? 320 : 64)
                let first = try await scratch.preparer(image, fsType: fsType).prepare()
                try Data("kept".utf8).write(to: URL(fileURLWithPath: first.exportPath + "/file"))
                try await VolumePreparer.release(first, logger: testLogger)
                try await mustRun(fsType == .ext4 ? ["e2label", image, "sm-pending"] : ["xfs_admin", "-L", "sm-pending", image])
                #expect(blkidLabel(image) == "sm-pending")

                let second = try await scratch.preparer(image, fsType: fsType).prepare()
                #expect(!second.formatted)
                #expect(try String(contentsOfFile: second.exportPath + "/file", encoding: .utf8) == "kept")
                try await VolumePreparer.release(second, logger: testLogger)
                #expect(blkidLabel(image) == "")
            }
        }
    }
}
