import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Filesystems that stop taking writes under a read-write share, and fstrim.
extension DeviceIntegration {
    @Suite struct Health {
        @Test(.deviceParts(extraTools: ["fstrim"])) func healthyVolumeAndTrim() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                let folder = FilesystemProbe.probeDirectory(prepared)
                let before = try FileManager.default.contentsOfDirectory(atPath: folder)
                #expect(FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false) == .healthy)
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == before, "the probe left a file")
                let trimmed = try await Trimmer.trim(prepared, logger: testLogger)
                print("fstrim trimmed \(trimmed.map(String.init) ?? "an unreadable number of") bytes")
                #expect((trimmed ?? 0) > 0)
                try await VolumePreparer.release(prepared, logger: testLogger)
            }
        }

        @Test(.deviceParts()) func ext4ErrorMakesItReadOnly() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                let name = URL(fileURLWithPath: prepared.devicePath).lastPathComponent
                try Data("1\n".utf8).write(to: URL(fileURLWithPath: "/sys/fs/ext4/\(name)/trigger_fs_error"))
                let health = FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false)
                guard case .readOnly(let reason) = health else { Issue.record("got \(health)"); return }
                print("probe: \(reason)")
                #expect(reason.contains("errors=remount-ro") && reason.contains("Read-only file system") && !reason.contains("\n"))
                try await VolumePreparer.release(prepared, logger: testLogger)
                // The next start's e2fsck sees the error state and checks before mounting.
                let again = try await scratch.preparer(image).prepare()
                #expect(FilesystemProbe(logger: testLogger).check(again, readOnlyShare: false) == .healthy)
                try await VolumePreparer.release(again, logger: testLogger)
            }
        }

        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_io"])) func xfsShutdownMakesItReadOnly() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 320)
                let prepared = try await scratch.preparer(image, fsType: .xfs).prepare()
                try await mustRun(["xfs_io", "-x", "-c", "shutdown", scratch.mountPoint])
                let health = FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false)
                guard case .readOnly(let reason) = health else { Issue.record("got \(health)"); return }
                print("probe: \(reason)")
                #expect(reason.contains("xfs on") && reason.contains("Input/output error"))
                try await VolumePreparer.release(prepared, logger: testLogger)
                #expect(attachedLoops(image).isEmpty)
            }
        }

        /// The probe of an adopted filesystem writes at its root, which is what is exported,
        /// and leaves no name there: whatever the users keep under the name the probe once
        /// had (a file, a folder, a symlink) stays as it is, and the volume stays healthy.
        @Test(.deviceParts()) func adoptedVolumeIsProbedAtItsRoot() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await mustRun(["mkfs.ext4", "-q", "-F", image])
                let prepared = try await scratch.preparer(image, recoveryDir: scratch.directory.file("records")).prepare()
                let root = scratch.mountPoint
                #expect(FilesystemProbe.probeDirectory(prepared) == root)
                #expect(FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false) == .healthy)
                #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["lost+found"])

                try Data("a user's file\n".utf8).write(to: URL(fileURLWithPath: root + "/.share-manager-probe"))
                try FileManager.default.createDirectory(atPath: root + "/.share-manager-probe.d", withIntermediateDirectories: false)
                try FileManager.default.createSymbolicLink(atPath: root + "/probe-link", withDestinationPath: "/etc/hostname")
                let before = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
                #expect(FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false) == .healthy)
                #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == before)
                #expect(try String(contentsOfFile: root + "/.share-manager-probe", encoding: .utf8) == "a user's file\n")
                try await VolumePreparer.release(prepared, logger: testLogger)
            }
        }

        /// A read-only share is mounted ro, writes nothing, and is healthy that way.
        @Test(.deviceParts()) func readOnlyShare() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let blank = try await untouchedRefusal(scratch.preparer(image, readOnly: true), image: image)
                guard case .readOnlyNeedsFormat = blank else { Issue.record("got \(String(describing: blank))"); return }
                try await VolumePreparer.release(try await scratch.preparer(image).prepare(), logger: testLogger)

                let before = try await sha256(ofFile: image)
                let prepared = try await scratch.preparer(image, mountOptions: ["ro", "noatime"], readOnly: true).prepare()
                #expect(mountOptions(scratch.mountPoint).hasPrefix("ro"))
                #expect(FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: true) == .healthy)
                let asWritable = FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false)
                guard case .readOnly(let reason) = asWritable else { Issue.record("got \(asWritable)"); return }
                #expect(reason.contains("mounted read-only"))
                try await VolumePreparer.release(prepared, logger: testLogger)
                #expect(try await sha256(ofFile: image) == before, "a read-only start wrote to the device")
            }
        }
    }
}
