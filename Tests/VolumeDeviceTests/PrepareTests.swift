import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

extension DeviceIntegration {
    @Suite struct Prepare {
        @Test func blankImageIsFormattedOnceAndKept() async throws {
            guard mayRun("blankImageIsFormattedOnceAndKept") else { return }
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

        @Test func blankImageIsFormattedAsXFS() async throws {
            guard mayRun("blankImageIsFormattedAsXFS", extraTools: ["mkfs.xfs"]) else { return }
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

        @Test func xfsOnSmallImageIsRefusedUntouched() async throws {
            guard mayRun("xfsOnSmallImageIsRefusedUntouched", extraTools: ["mkfs.xfs"]) else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let error = try await untouchedRefusal(scratch.preparer(image, fsType: .xfs), image: image)
                guard case .tooSmall(_, let bytes, .xfs, _) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(bytes == 64 << 20)
            }
        }

        @Test func otherFilesystemThanRequestedIsRefused() async throws {
            guard mayRun("otherFilesystemThanRequestedIsRefused", extraTools: ["mkfs.xfs"]) else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await VolumePreparer.release(try await scratch.preparer(image).prepare(), logger: testLogger)
                let error = try await untouchedRefusal(scratch.preparer(image, fsType: .xfs), image: image)
                guard case .filesystemMismatch(_, .ext4, .xfs) = error else { Issue.record("got \(String(describing: error))"); return }
            }
        }

        @Test func newerLayoutIsRefused() async throws {
            guard mayRun("newerLayoutIsRefused") else { return }
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let prepared = try await scratch.preparer(image).prepare()
                try VolumeMarker(volume: "vol-a", layoutVersion: 2).write(toRoot: scratch.mountPoint)
                try await VolumePreparer.release(prepared, logger: testLogger)
                let error = try await untouchedRefusal(scratch.preparer(image), image: image)
                guard case .layoutTooNew(_, 2, 1) = error else { Issue.record("got \(String(describing: error))"); return }
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
