import Foundation
import Glibc
import Testing
import TestSupport
@testable import VolumeDevice

/// A full volume is full, not broken: the probe says `.full` with what ran out, and an error
/// state still wins. Before: `.readOnly("… write probe failed: No space left on device")`.
extension DeviceIntegration {
    @Suite struct Full {
        struct Case: Sendable, CustomTestStringConvertible {
            let filesystem: FilesystemType
            let fill: VolumeFill
            var adopted = false
            var testDescription: String { "\(adopted ? "adopted " : "")\(filesystem) by \(fill)" }
        }

        // xfs allocates inodes from free space (up to imaxpct), so it fills by blocks; running
        // out of its inodes would take some 10^5 files here.
        static let cases: [Case] = [.init(filesystem: .ext4, fill: .blocks), .init(filesystem: .ext4, fill: .inodes),
                                    .init(filesystem: .xfs, fill: .blocks), .init(filesystem: .ext4, fill: .inodes, adopted: true)]

        @Test(.deviceParts(extraTools: ["mkfs.xfs"]), arguments: cases)
        func fullIsNotReadOnly(_ full: Case) async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: full.filesystem == .xfs ? 320 : 64)
                if full.adopted { try await mustRun(["mkfs.ext4", "-q", "-F", image]) }
                let records = full.adopted ? scratch.directory.file("records") : nil
                let prepared = try await scratch.preparer(image, fsType: full.filesystem, recoveryDir: records).prepare()
                #expect(prepared.adopted == full.adopted)
                let folder = prepared.exportPath
                let stopped = try await offPool { full.fill.fill(folder) }
                #expect(stopped == ENOSPC, "the fill stopped on \(String(cString: strerror(stopped)))")
                let health = FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false)
                guard case .full(let what) = health else { Issue.record("got \(health)"); return }
                print("probe: \(what)")
                #expect(what.resources.contains(full.fill == .blocks ? .blocks : .inodes) && what.error == ENOSPC)
                #expect("\(what)".contains("No space left on device") && !"\(what)".contains("\n"))
                if full.filesystem == .ext4 {
                    let name = URL(fileURLWithPath: prepared.devicePath).lastPathComponent
                    try Data("1\n".utf8).write(to: URL(fileURLWithPath: "/sys/fs/ext4/\(name)/trigger_fs_error"))
                    let broken = FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false)
                    #expect(broken.isReadOnly, "an error state on a full volume must still fail liveness: \(broken)")
                } else {
                    for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
                        try FileManager.default.removeItem(atPath: folder + "/" + name)
                    }
                    #expect(FilesystemProbe(logger: testLogger).check(prepared, readOnlyShare: false) == .healthy)
                }
                try await VolumePreparer.release(prepared, logger: testLogger)
            }
        }
    }
}
