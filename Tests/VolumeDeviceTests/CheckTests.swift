import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

extension DeviceIntegration {
    @Suite struct Check {
        /// An ext4 whose errors e2fsck -p will not repair on its own is not mounted.
        @Test(.deviceParts(extraTools: ["debugfs"])) func ext4WithErrorsLeftIsNotMounted() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                try FileManager.default.createDirectory(atPath: prepared.exportPath + "/sub", withIntermediateDirectories: false)
                try await VolumePreparer.release(prepared, logger: testLogger)
                // A cleared directory inode plus the "has errors" state: preen mode gives up (exit 4).
                try await mustRun(["debugfs", "-w", "-R", "clri /data", image])
                try await mustRun(["debugfs", "-w", "-R", "ssv state 2", image])

                let error = await refusal(scratch.preparer(image))
                guard case .filesystemErrors(_, let status, _) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(status & 4 != 0)
                #expect(error?.description.contains("e2fsck -f") == true)
                // The check runs after the ownership decision and writes by design: the refusal says so.
                #expect(error?.description.contains(status & 1 != 0 ? "already corrected" : "corrected nothing") == true)
                #expect(try !MountTable.current().isMountPoint(scratch.mountPoint))
                #expect(attachedLoops(image).isEmpty)
            }
        }

        /// A filesystem of ours (labelled `sm-volume`) whose marker is gone is damaged: refused,
        /// neither formatted again nor adopted.
        @Test(.deviceParts()) func layoutWithoutMarkerIsRefused() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                try FileManager.default.removeItem(atPath: VolumeMarker.path(inRoot: scratch.mountPoint))
                try await VolumePreparer.release(prepared, logger: testLogger)
                for recoveryDir in [nil, scratch.directory.file("records")] {
                    let error = try await untouchedRefusal(scratch.preparer(image, recoveryDir: recoveryDir), image: image)
                    guard case .markerUnreadable(_, let reason) = error, reason.contains("sm-volume") else {
                        Issue.record("got \(String(describing: error))"); return
                    }
                }
            }
        }

        /// Damage e2fsck -p repairs on its own: the volume is repaired, then mounted.
        @Test(.deviceParts(extraTools: ["debugfs"])) func ext4RepairedByPreenIsMounted() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                try FileManager.default.createDirectory(atPath: prepared.exportPath + "/sub", withIntermediateDirectories: false)
                try await VolumePreparer.release(prepared, logger: testLogger)
                // A wrong link count plus the "has errors" state, so that preen looks and fixes it.
                try await mustRun(["debugfs", "-w", "-R", "sif /data/sub links_count 7", image])
                try await mustRun(["debugfs", "-w", "-R", "ssv state 2", image])
                #expect(try await runCommand(["e2fsck", "-fn", image]).status == 4, "the damage is there")

                let repaired = try await scratch.preparer(image).prepare()
                #expect(FileManager.default.fileExists(atPath: repaired.exportPath + "/sub"))
                try await VolumePreparer.release(repaired, logger: testLogger)
                #expect(try await runCommand(["e2fsck", "-fn", image]).status == 0, "left clean")
            }
        }
    }
}
