import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Devices whose size changed since the filesystem was made.
extension DeviceIntegration {
    @Suite struct Resize {
        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_info", "dumpe2fs"]), arguments: FilesystemType.allCases)
        func shrunkDeviceIsRefusedUntouched(fsType: FilesystemType) async throws {
            try await Scratch.with { scratch in
                let size = fsType == .xfs ? 400 : 128
                let image = try scratch.image(mebibytes: size)
                try await VolumePreparer.release(try await scratch.preparer(image, fsType: fsType).prepare(), logger: testLogger)
                try resize(image, mebibytes: size - 40)
                let error = try await untouchedRefusal(scratch.preparer(image, fsType: fsType), image: image)
                guard case .deviceShrank(_, let device, let filesystem) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(device == Int64(size - 40) << 20 && filesystem > device)
                #expect(try !MountTable.current().isMountPoint(scratch.mountPoint))
            }
        }

        /// The test machine's root lacks CAP_SYS_RESOURCE, so online resize2fs may fail; the
        /// next start grows ext4 offline either way.
        @Test(.deviceParts(extraTools: ["resize2fs", "dumpe2fs"])) func ext4GrowsOnlineOrAtTheNextStart() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let grower = FilesystemGrower(logger: testLogger)
                let first = try await scratch.preparer(image).prepare()
                try Data("kept".utf8).write(to: URL(fileURLWithPath: first.exportPath + "/file"))
                #expect(try await grower.growIfNeeded(first) == .unchanged)
                try resize(image, mebibytes: 128)
                let outcome = try await grower.growIfNeeded(first)
                switch outcome {
                case .grown(let from, let to):
                    print("ext4 grew online from \(from) to \(to) bytes (this root has CAP_SYS_RESOURCE)")
                    #expect(to == 128 << 20)
                case .onlineGrowFailed(let reason):
                    print("ext4 online grow failed as expected without CAP_SYS_RESOURCE: \(reason)")
                    #expect(reason.contains("next start") && !reason.contains("\n"))
                default:
                    Issue.record("unexpected outcome \(outcome)")
                }
                try await VolumePreparer.release(first, logger: testLogger)
                // As on a volume checked long before its last mount: resize2fs then wants a
                // forced check first, which the start must run itself.
                #expect(try await runCommand(["tune2fs", "-T", "20200101", image]).status == 0)

                let second = try await scratch.preparer(image).prepare()
                #expect(try await grower.deviceSize(of: second) == 128 << 20)
                #expect(try grower.filesystemSize(of: second) == 128 << 20)
                #expect(try String(contentsOfFile: second.exportPath + "/file", encoding: .utf8) == "kept")
                try await VolumePreparer.release(second, logger: testLogger)
            }
        }

        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_growfs", "xfs_info"])) func xfsGrowsOnline() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 320)
                let prepared = try await scratch.preparer(image, fsType: .xfs).prepare()
                let grower = FilesystemGrower(logger: testLogger)
                let before = try statvfsBytes(scratch.mountPoint)
                try resize(image, mebibytes: 640)
                let outcome = try await grower.growIfNeeded(prepared)
                guard case .grown(let from, let to) = outcome else { Issue.record("got \(outcome)"); return }
                #expect(from == 320 << 20 && to > 600 << 20)
                #expect(try statvfsBytes(scratch.mountPoint) > before + (250 << 20))
                #expect(try await grower.growIfNeeded(prepared) == .unchanged)
                try await VolumePreparer.release(prepared, logger: testLogger)
            }
        }

        /// xfs grown while share-manager was stopped is grown at the next start, after the mount.
        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_growfs", "xfs_info"])) func xfsGrowsAtStart() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 320)
                try await VolumePreparer.release(try await scratch.preparer(image, fsType: .xfs).prepare(), logger: testLogger)
                try resize(image, mebibytes: 480)
                let prepared = try await scratch.preparer(image, fsType: .xfs).prepare()
                #expect(try FilesystemGrower(logger: testLogger).filesystemSize(of: prepared) > 400 << 20)
                try await VolumePreparer.release(prepared, logger: testLogger)
            }
        }
    }
}

/// Total bytes of the filesystem mounted at `path`, as statvfs reports them to clients.
func statvfsBytes(_ path: String) throws -> Int64 {
    var info = statvfs()
    try #require(statvfs(path, &info) == 0)
    return Int64(info.f_blocks) * Int64(info.f_frsize)
}
