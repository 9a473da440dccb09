import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Devices someone else already uses: two mounts of one filesystem corrupt it.
extension DeviceIntegration {
    @Suite struct InUse {
        @Test(.deviceParts()) func imageAttachedElsewhere() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let other = try attachElsewhere(image)
                let before = try await sha256(ofFile: image)
                let error = await refusal(scratch.preparer(image))
                guard case .imageAlreadyAttached(_, let loops) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(loops == [other])
                #expect(attachedLoops(image) == [other])
                #expect(try await sha256(ofFile: image) == before)
            }
        }

        @Test(.deviceParts()) func imageAttachedAndMountedElsewhere() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                // No lazy initialisation: a background writer would change the checksum by itself.
                try await mustRun(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image])
                let other = try attachElsewhere(image)
                let elsewhere = scratch.directory.file("elsewhere")
                try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
                try await mustRun(["mount", "-o", "ro", other, elsewhere])
                let before = try await sha256(ofFile: image)

                let byImage = await refusal(scratch.preparer(image))
                guard case .imageAlreadyAttached = byImage else { Issue.record("got \(String(describing: byImage))"); return }
                let byDevice = await refusal(scratch.preparer(other))
                guard case .deviceMounted(_, let mounts) = byDevice else { Issue.record("got \(String(describing: byDevice))"); return }
                #expect(mounts == [elsewhere])
                #expect(try await sha256(ofFile: image) == before)
                #expect(attachedLoops(image) == [other])
            }
        }

        @Test(.deviceParts()) func loopDeviceSharingItsBackingFile() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let first = try attachElsewhere(image)
                let second = try attachElsewhere(image)
                let error = await refusal(scratch.preparer(first))
                guard case .backingFileShared(_, _, let others) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(others == [second])
            }
        }

        /// A loop number freed and taken by another volume must survive a late detach of the
        /// first: that is how one test's cleanup once pulled another's device away.
        @Test(.deviceParts()) func detachLeavesAnotherImagesLoopAlone() async throws {
            try await Scratch.with { scratch in
                let mine = try scratch.image("mine.img", mebibytes: 16)
                let theirs = try scratch.image("theirs.img", mebibytes: 16)
                let loop = try attachElsewhere(theirs)
                #expect(try LoopAttachment.detach(loop, ifBacking: mine, logger: testLogger) == .notBacking)
                #expect(attachedLoops(theirs) == [loop])
                #expect(try LoopAttachment.detach(loop, ifBacking: theirs, logger: testLogger) == .detached)
                #expect(attachedLoops(theirs).isEmpty)
                #expect(try LoopAttachment.detach(loop, ifBacking: theirs, logger: testLogger) == .notBacking)
            }
        }

        /// An open file keeps the filesystem busy: the unmount retries, then says so, and it
        /// succeeds once the file is closed.
        @Test(.deviceParts()) func busyUnmountRetriesThenFails() async throws {
            try await Scratch.with { scratch in
                try FileManager.default.createDirectory(atPath: scratch.mountPoint, withIntermediateDirectories: true)
                try await mustRun(["mount", "-t", "tmpfs", "tmpfs", scratch.mountPoint])
                let held = open(scratch.mountPoint + "/held", O_CREAT | O_RDWR, 0o600)
                try #require(held >= 0)
                let mounter = Mounter(runner: ToolRunner(logger: testLogger))
                let error = await #expect(throws: DeviceError.self) { try await mounter.unmount(scratch.mountPoint, attempts: 2) }
                guard case .unmountBusy = error else { Issue.record("got \(String(describing: error))"); close(held); return }
                #expect(try MountTable.current().isMountPoint(scratch.mountPoint))
                close(held)
                try await mounter.unmount(scratch.mountPoint, attempts: 2)
                #expect(try !MountTable.current().isMountPoint(scratch.mountPoint))
            }
        }

        /// Another process holding the device open turns LOOP_CLR_FD into "clear at last
        /// close": the detach waits for that close, and says when it did not come.
        @Test(.deviceParts()) func detachWaitsForAnotherOpenerToLetGo() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 16)
                let loop = try attachElsewhere(image)
                // A brief opener, as another share-manager's scan is: closed while the detach waits.
                let brief = open(loop, O_RDONLY | O_CLOEXEC)
                try #require(brief >= 0)
                let closer = Task.detached { try await Task.sleep(for: .milliseconds(300)); close(brief) }
                #expect(try LoopAttachment.detach(loop, ifBacking: image, logger: testLogger) == .detached)
                #expect(attachedLoops(image).isEmpty)
                try await closer.value

                // One that stays: the detach gives up after its wait and says so.
                let again = try attachElsewhere(image)
                let held = open(again, O_RDONLY | O_CLOEXEC)
                try #require(held >= 0)
                #expect(try LoopAttachment.detach(again, ifBacking: image, logger: testLogger) == .deferred)
                #expect(attachedLoops(image) == [again])
                close(held)
                #expect(await SocketProbe.waitUntil(timeout: .seconds(5)) { attachedLoops(image).isEmpty }, "not detached at the last close")
            }
        }

        @Test(.deviceParts()) func mountPointAlreadyMounted() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try FileManager.default.createDirectory(atPath: scratch.mountPoint, withIntermediateDirectories: true)
                try await mustRun(["mount", "-t", "tmpfs", "tmpfs", scratch.mountPoint])
                let error = await refusal(scratch.preparer(image))
                guard case .mountPointInUse = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(attachedLoops(image).isEmpty)
            }
        }
    }
}
