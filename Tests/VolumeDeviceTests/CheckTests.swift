import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

extension DeviceIntegration {
    @Suite struct Check {
        /// An ext4 whose errors e2fsck -p will not repair on its own is not mounted.
        @Test func ext4WithErrorsLeftIsNotMounted() async throws {
            guard mayRun("ext4WithErrorsLeftIsNotMounted", extraTools: ["debugfs"]) else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                try FileManager.default.createDirectory(atPath: prepared.exportPath + "/sub", withIntermediateDirectories: false)
                try await VolumePreparer.release(prepared, logger: testLogger)
                // A cleared directory inode plus the "has errors" state: preen mode gives up (exit 4).
                try mustRun(["debugfs", "-w", "-R", "clri /data", image])
                try mustRun(["debugfs", "-w", "-R", "ssv state 2", image])

                let error = await refusal(scratch.preparer(image))
                guard case .filesystemErrors(_, let status, _) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(status & 4 != 0)
                #expect(error?.description.contains("e2fsck -f") == true)
                #expect(try !MountTable.current().isMountPoint(scratch.mountPoint))
                #expect(attachedLoops(image).isEmpty)
            }
        }

        /// A format cut short before the marker looks like any foreign ext4: refused, not adopted.
        @Test func layoutWithoutMarkerIsRefused() async throws {
            guard mayRun("layoutWithoutMarkerIsRefused") else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                try FileManager.default.removeItem(atPath: VolumeMarker.path(inRoot: scratch.mountPoint))
                try await VolumePreparer.release(prepared, logger: testLogger)
                let error = await refusal(scratch.preparer(image))
                guard case .markerMissing = error else { Issue.record("got \(String(describing: error))"); return }
            }
        }
    }
}
