import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Issue 16 rows 5 and 12 at the preparer: a mount whose root lock nobody holds is a dead
/// instance's and is released; one whose lock is held is a live one's and is refused; and
/// the emptiness rule judges the folder beneath only after the release.
extension DeviceIntegration {
    @Suite struct LeftoverMount {
        @Test(.deviceParts()) func deadInstancesMountIsReleasedAndPreparedAgain() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let dead = try await scratch.preparer(image).prepare()
                // What the kernel does to a killed instance's lock; its mount and loop stay.
                dead.rootLock?.release()
                let next = try await scratch.preparer(image).prepare()
                #expect(!next.formatted)
                #expect(attachedLoops(image) == [next.devicePath], "the dead instance's loop device is still attached")
                try await VolumePreparer.release(next, logger: testLogger)
                #expect(attachedLoops(image).isEmpty)
            }
        }

        @Test(.deviceParts()) func liveInstancesMountIsRefusedAndKept() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let live = try await scratch.preparer(image).prepare()
                let error = await refusal(scratch.preparer(image))
                guard case .volumeInUse(_, let holder) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(holder.contains("pid \(getpid())"), "\(holder)")
                #expect(try MountTable.current().isMountPoint(scratch.mountPoint))
                #expect(attachedLoops(image) == [live.devicePath])
                try await VolumePreparer.release(live, logger: testLogger)
            }
        }

        /// Beneath the leftover mount someone left a file: the release comes first, then the
        /// emptiness rule refuses the folder.
        @Test(.deviceParts()) func folderBeneathALeftoverIsJudgedAfterTheRelease() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let dead = try await scratch.preparer(image).prepare()
                dead.rootLock?.release()
                // A bind mount of the parent shows the folder beneath the mount.
                let view = scratch.directory.file("view")
                try FileManager.default.createDirectory(atPath: view, withIntermediateDirectories: false)
                try await mustRun(["mount", "--bind", scratch.directory.path, view])
                try Data("hidden\n".utf8).write(to: URL(fileURLWithPath: view + "/mnt/hidden"))
                try await mustRun(["umount", view])
                let error = await refusal(scratch.preparer(image))
                guard case .mountPointUnusable(_, let reason) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(reason.contains("not empty"), "\(reason)")
                #expect(try !MountTable.current().isMountPoint(scratch.mountPoint), "the leftover was not released first")
                #expect(attachedLoops(image).isEmpty)
            }
        }
    }
}
