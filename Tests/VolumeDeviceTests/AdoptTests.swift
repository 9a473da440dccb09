import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Filesystems made elsewhere (no marker, no pending label): exported at their root, with
/// the client records in a recovery dir given by the operator, and nothing written on them.
extension DeviceIntegration {
    @Suite struct Adopt {
        /// An ext4 made and filled elsewhere; returns the names at its root.
        func makeForeignExt4(_ scratch: Scratch, _ image: String) throws -> [String] {
            try mustRun(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image])
            return try scratch.mountedElsewhere(image) { root in
                try Data("user data".utf8).write(to: URL(fileURLWithPath: root + "/report.txt"))
                try FileManager.default.createDirectory(atPath: root + "/photos", withIntermediateDirectories: false)
                return try FileManager.default.contentsOfDirectory(atPath: root).sorted()
            }
        }

        @Test(.deviceParts()) func adoptedWithRecoveryDir() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                let names = try makeForeignExt4(scratch, image)
                let records = scratch.directory.file("records/vol-a")
                for round in 1...2 {
                    let prepared = try await scratch.preparer(image, recoveryDir: records).prepare()
                    #expect(prepared.adopted && !prepared.formatted)
                    #expect(prepared.exportPath == scratch.mountPoint)
                    #expect(prepared.recoveryRoot == records)
                    #expect(try mode(records) == 0o700)
                    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.mountPoint).sorted() == names, "round \(round)")
                    #expect(try String(contentsOfFile: scratch.mountPoint + "/report.txt", encoding: .utf8) == "user data")
                    #expect(mountOptions(scratch.mountPoint).contains("errors=remount-ro"))
                    try await VolumePreparer.release(prepared, logger: testLogger)
                }
                #expect(attachedLoops(image).isEmpty)
            }
        }

        @Test(.deviceParts()) func adoptedWithoutRecoveryDirIsRefusedUntouched() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                _ = try makeForeignExt4(scratch, image)
                let error = try await untouchedRefusal(scratch.preparer(image), image: image)
                guard case .markerMissing(_, .ext4) = error else { Issue.record("got \(String(describing: error))"); return }
                let text = error?.description ?? ""
                #expect(text.contains("--recovery-dir") && text.contains("failover") && !text.contains("\n"))
            }
        }

        /// Another volume's marker stays refused even when a recovery dir is given.
        @Test(.deviceParts()) func otherVolumeIsNotAdopted() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                try await VolumePreparer.release(try await scratch.preparer(image, volume: "vol-b").prepare(), logger: testLogger)
                let preparer = scratch.preparer(image, recoveryDir: scratch.directory.file("records"))
                let error = try await untouchedRefusal(preparer, image: image)
                guard case .otherVolume(_, "vol-b", "vol-a") = error else { Issue.record("got \(String(describing: error))"); return }
            }
        }

        @Test(.deviceParts()) func recoveryDirBelowMountPointIsRefused() async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: 64)
                for dir in [scratch.mountPoint + "/records", scratch.mountPoint, "relative/records"] {
                    let error = try await untouchedRefusal(scratch.preparer(image, recoveryDir: dir), image: image)
                    guard case .recoveryDirUnusable = error else { Issue.record("got \(String(describing: error))"); return }
                }
            }
        }
    }
}
