import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

extension DeviceIntegration {
    @Suite struct Prepare {
        @Test(.deviceParts()) func blankImageIsFormattedOnceAndKept() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let first = try await scratch.preparer(image).prepare()
                #expect(first.formatted)
                #expect(first.filesystem == .ext4)
                #expect(first.attachedLoop == first.devicePath)
                #expect(first.exportPath == scratch.mountPoint + "/data")
                #expect(first.recoveryRoot == scratch.mountPoint + "/.share-manager/recovery")
                #expect(try mode(first.exportPath) == 0o777)
                #expect(try mode(scratch.mountPoint + "/.share-manager") == 0o700)
                #expect(FileManager.default.fileExists(atPath: first.recoveryRoot))
                #expect(FileManager.default.fileExists(atPath: scratch.mountPoint + "/lost+found"))
                #expect(try VolumeMarker.read(fromRoot: scratch.mountPoint) == VolumeMarker(volume: "vol-a", layoutVersion: 1))
                #expect(mountOptions(scratch.mountPoint).contains("errors=remount-ro"))
                try Data("kept".utf8).write(to: URL(fileURLWithPath: first.exportPath + "/file"))
                try await VolumePreparer.release(first, logger: testLogger)
                #expect(attachedLoops(image).isEmpty)
                #expect(try !MountTable.current().isMountPoint(scratch.mountPoint))

                let second = try await scratch.preparer(image).prepare()
                #expect(!second.formatted)
                #expect(try VolumeMarker.read(fromRoot: scratch.mountPoint) == VolumeMarker(volume: "vol-a", layoutVersion: 1))
                #expect(try String(contentsOfFile: second.exportPath + "/file", encoding: .utf8) == "kept")
                try await VolumePreparer.release(second, logger: testLogger)
                #expect(attachedLoops(image).isEmpty)
            }
        }

        @Test(.deviceParts(extraTools: ["mkfs.xfs"])) func blankImageIsFormattedAsXFS() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 320)
                let first = try await scratch.preparer(image, fsType: .xfs).prepare()
                #expect(first.formatted && first.filesystem == .xfs)
                #expect(try VolumeMarker.read(fromRoot: scratch.mountPoint)?.volume == "vol-a")
                try await VolumePreparer.release(first, logger: testLogger)
                let second = try await scratch.preparer(image, fsType: .xfs).prepare()
                #expect(!second.formatted)
                try await VolumePreparer.release(second, logger: testLogger)
                #expect(attachedLoops(image).isEmpty)
            }
        }

        @Test(.deviceParts(extraTools: ["mkfs.xfs"])) func xfsOnSmallImageIsRefusedUntouched() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let error = try await untouchedRefusal(scratch.preparer(image, fsType: .xfs), image: image)
                guard case .tooSmall(_, let bytes, .xfs, _) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(bytes == 64 << 20)
            }
        }

        @Test(.deviceParts(extraTools: ["mkfs.xfs"])) func otherFilesystemThanRequestedIsRefused() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await VolumePreparer.release(try await scratch.preparer(image).prepare(), logger: testLogger)
                let error = try await untouchedRefusal(scratch.preparer(image, fsType: .xfs), image: image)
                guard case .filesystemMismatch(_, .ext4, .xfs) = error else { Issue.record("got \(String(describing: error))"); return }
            }
        }

        @Test(.deviceParts(extraTools: ["dumpe2fs"])) func operatorOptionsAreUsed() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let preparer = scratch.preparer(image, mkfsOptions: ["-b", "4096", "-i", "65536"], mountOptions: ["noatime,nodev"])
                let prepared = try await preparer.prepare()
                let header = try await mustRun(["dumpe2fs", "-h", prepared.devicePath]).stdout
                #expect(header.contains("Block size:               4096"))
                #expect(header.contains("Inode count:              1024"))
                let options = mountOptions(scratch.mountPoint)
                #expect(options.contains("noatime") && options.contains("nodev") && options.contains("errors=remount-ro"))
                try await VolumePreparer.release(prepared, logger: testLogger)
            }
        }

        @Test(.deviceParts()) func invalidOptionsAreRefusedBeforeAnything() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let mkfs = try await untouchedRefusal(scratch.preparer(image, mkfsOptions: ["-L", "mine"]), image: image)
                guard case .invalidMkfsOption = mkfs else { Issue.record("got \(String(describing: mkfs))"); return }
                let mount = try await untouchedRefusal(scratch.preparer(image, mountOptions: ["errors=continue"]), image: image)
                guard case .invalidMountOption = mount else { Issue.record("got \(String(describing: mount))"); return }
                #expect(!FileManager.default.fileExists(atPath: scratch.mountPoint), "nothing created")
            }
        }

        /// A newer layout needs a newer share-manager; one below 1 was never written (no older
        /// layout exists yet to migrate), so it is damage.
        @Test(.deviceParts(), arguments: [2, 0])
        func unknownLayoutIsRefused(version: Int) async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                try VolumeMarker(volume: "vol-a", layoutVersion: version).write(toRoot: scratch.mountPoint)
                try await VolumePreparer.release(prepared, logger: testLogger)
                let error = try await untouchedRefusal(scratch.preparer(image), image: image)
                switch error {
                case .layoutTooNew(_, 2, 1) where version == 2, .markerUnreadable where version == 0: break
                default: Issue.record("got \(String(describing: error))")
                }
            }
        }
    }
}

func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// The options field of the mount at `mountPoint`, from findmnt.
func mountOptions(_ mountPoint: String) -> String {
    (try? runCommand(["findmnt", "-n", "-o", "OPTIONS", "--mountpoint", mountPoint]))?.stdout ?? ""
}
