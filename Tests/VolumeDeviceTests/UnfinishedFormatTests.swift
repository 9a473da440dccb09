import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// mkfs labels a filesystem `sm-pending`; the label becomes `sm-volume` once the layout and
/// the marker are written. A pending filesystem is never formatted again: holding only what
/// mkfs and the unfinished format wrote, the format is finished on it; holding anything more
/// (the label is no proof), it is refused untouched, or adopted with a recovery dir.
extension DeviceIntegration {
    @Suite struct Unfinished {
        func makePending(_ image: String, _ fsType: FilesystemType) async throws {
            try await mustRun([fsType.mkfsCommand.tool] + fsType.mkfsCommand.arguments + ["-L", "sm-pending", image])
        }

        func uuid(_ image: String) async throws -> String {
            try await mustRun(["blkid", "-p", "-o", "value", "-s", "UUID", image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Finished without a second mkfs (same UUID), then labelled as share-manager's.
        func expectFinished(_ scratch: Scratch, _ image: String, _ fsType: FilesystemType) async throws {
            let before = try await uuid(image)
            let prepared = try await scratch.preparer(image, fsType: fsType).prepare()
            #expect(prepared.formatted && !prepared.adopted)
            #expect(try VolumeMarker.read(fromRoot: scratch.mountPoint) == VolumeMarker(volume: "vol-a"))
            #expect(blkidLabel(prepared.devicePath) == "sm-volume", "the label is set while mounted")
            try await VolumePreparer.release(prepared, logger: testLogger)
            #expect(try await uuid(image) == before, "mkfs ran again")
            #expect(blkidLabel(image) == "sm-volume")
        }

        /// The ownership peek reads the device without replaying a journal or log, so what a
        /// crash right after the format leaves on the device itself must already say
        /// `sm-volume` and hold the marker: a copy of the image taken while mounted is that.
        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_io", "xfs_db", "e2label", "debugfs"]), arguments: FilesystemType.allCases)
        func formatIsAtHomeBeforeServing(fsType: FilesystemType) async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: fsType == .xfs ? 320 : 64)
                let prepared = try await scratch.preparer(image, fsType: fsType).prepare()
                let crashed = scratch.directory.file("crashed.img")
                try await mustRun(["cp", "--sparse=always", image, crashed])
                try await VolumePreparer.release(prepared, logger: testLogger)
                #expect(blkidLabel(crashed) == "sm-volume", "the label is not on the device yet")
                let again = try await scratch.preparer(crashed, fsType: fsType).prepare()
                #expect(!again.formatted && !again.adopted)
                try await VolumePreparer.release(again, logger: testLogger)
            }
        }

        /// mkfs ran and the process died right after.
        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_io", "xfs_db", "e2label", "debugfs"]), arguments: FilesystemType.allCases)
        func pendingLabelAloneIsFinished(fsType: FilesystemType) async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: fsType == .xfs ? 320 : 64)
                try await makePending(image, fsType)
                try await expectFinished(scratch, image, fsType)
            }
        }

        /// mkfs and the (empty) layout were written, the marker not yet; or the marker too.
        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_io", "xfs_db", "e2label", "debugfs"]), arguments: FilesystemType.allCases, [false, true])
        func emptyLayoutIsFinished(fsType: FilesystemType, withMarker: Bool) async throws {
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: fsType == .xfs ? 320 : 64)
                try await makePending(image, fsType)
                try scratch.mountedElsewhere(image) { root in
                    try FileManager.default.createDirectory(atPath: root + "/.share-manager/recovery", withIntermediateDirectories: true)
                    try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
                    if withMarker { try VolumeMarker(volume: "vol-a").write(toRoot: root) }
                }
                try await expectFinished(scratch, image, fsType)
            }
        }

        /// Issue 16 row 1: a filesystem labelled `sm-pending` that holds anything beyond what
        /// mkfs writes was formatted again. Each variant is refused byte for byte untouched,
        /// and served as it is (adopted, nothing written) with a recovery dir.
        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_db", "debugfs"]), arguments: FilesystemType.allCases, PendingContent.allCases)
        func pendingLabelWithDataIsNeverFormatted(fsType: FilesystemType, content: PendingContent) async throws {
            if fsType == .xfs && content == .fileInLostAndFound { return }  // mkfs.xfs makes no lost+found
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: fsType == .xfs ? 320 : 64)
                try await makePending(image, fsType)
                let names = try scratch.mountedElsewhere(image) { root in
                    try content.write(root)
                    return try FileManager.default.contentsOfDirectory(atPath: root).sorted()
                }
                let error = try await untouchedRefusal(scratch.preparer(image, fsType: fsType), image: image)
                guard case .pendingHoldsData(_, let found) = error else { Issue.record("got \(String(describing: error))"); return }
                #expect(found.contains(content.expectedMention), "names what it found: \(found)")
                #expect(error?.description.contains("--recovery-dir") == true)

                let adopted = try await scratch.preparer(image, fsType: fsType, recoveryDir: scratch.directory.file("records")).prepare()
                #expect(adopted.adopted && !adopted.formatted && adopted.exportPath == scratch.mountPoint)
                #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.mountPoint).sorted() == names)
                try await VolumePreparer.release(adopted, logger: testLogger)
                #expect(blkidLabel(image) == "sm-pending", "the label of a filesystem made elsewhere is left as it is")
            }
        }
    }
}

/// What a user can have stored on a filesystem that carries the `sm-pending` label.
enum PendingContent: String, CaseIterable, Sendable {
    case fileAtRoot, emptyFolderAtRoot, symlinkAtRoot, fileInData, fileInLostAndFound, recordInRecovery, foreignMarkerFolderFile

    func write(_ root: String) throws {
        let files = FileManager.default
        switch self {
        case .fileAtRoot: try Data("user data".utf8).write(to: URL(fileURLWithPath: root + "/report.txt"))
        case .emptyFolderAtRoot: try files.createDirectory(atPath: root + "/photos", withIntermediateDirectories: false)
        case .symlinkAtRoot: try files.createSymbolicLink(atPath: root + "/link", withDestinationPath: "report.txt")
        case .fileInData:
            try files.createDirectory(atPath: root + "/.share-manager/recovery", withIntermediateDirectories: true)
            try files.createDirectory(atPath: root + "/data", withIntermediateDirectories: false)
            try Data("half".utf8).write(to: URL(fileURLWithPath: root + "/data/left-over"))
        case .fileInLostAndFound: try Data("found".utf8).write(to: URL(fileURLWithPath: root + "/lost+found/#12"))
        case .recordInRecovery:
            try files.createDirectory(atPath: root + "/.share-manager/recovery/v4recov/node0", withIntermediateDirectories: true)
        case .foreignMarkerFolderFile:
            try files.createDirectory(atPath: root + "/.share-manager", withIntermediateDirectories: false)
            try Data("notes".utf8).write(to: URL(fileURLWithPath: root + "/.share-manager/notes.txt"))
        }
    }

    var expectedMention: String {
        switch self {
        case .fileAtRoot: "report.txt"
        case .emptyFolderAtRoot: "photos"
        case .symlinkAtRoot: "link"
        case .fileInData: "data/"
        case .fileInLostAndFound: "lost+found/"
        case .recordInRecovery: "recovery/"
        case .foreignMarkerFolderFile: "notes.txt"
        }
    }
}
