import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// What an NFS client can write on an adopted filesystem (its root is the export) decides
/// nothing: only the label, which no client can set, makes a filesystem share-manager's.
extension DeviceIntegration.Adopt {
    /// Issue 16 rows 3 and 4: a client-planted marker (with `data/` and recovery records
    /// beside it) made the next start take the volume for its own and export `/data`, or
    /// refused every later start. Now the volume is adopted as before, at its root.
    @Test(.deviceParts(), arguments: PlantedMarker.allCases)
    func plantedMarkerChangesNothing(_ planted: PlantedMarker) async throws {
        try await Scratch.with { scratch in
            let image = try scratch.image(mebibytes: 64)
            _ = try makeForeignExt4(scratch, image)
            let records = scratch.directory.file("records/vol-a")
            let first = try await scratch.preparer(image, recoveryDir: records).prepare()
            try planted.plant(first.exportPath)
            let names = try FileManager.default.contentsOfDirectory(atPath: scratch.mountPoint).sorted()
            try await VolumePreparer.release(first, logger: testLogger)

            let second = try await scratch.preparer(image, recoveryDir: records).prepare()
            #expect(second.adopted && !second.formatted, "no longer adopted")
            #expect(second.exportPath == scratch.mountPoint && second.recoveryRoot == records)
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.mountPoint).sorted() == names)
            try await VolumePreparer.release(second, logger: testLogger)
            #expect(blkidLabel(image) == "", "a label was set on an adopted filesystem")
        }
    }

    /// A volume formatted before the label was kept (marker, no label, only the layout at its
    /// root): without a recovery dir it is taken as this volume's and labelled; a client of an
    /// adopted volume cannot use that, since an adopted volume always runs with a recovery dir.
    @Test(.deviceParts(extraTools: ["e2label"])) func legacyVolumeIsLabelled() async throws {
        try await Scratch.with { scratch in
            let image = try scratch.image(mebibytes: 64)
            let first = try await scratch.preparer(image).prepare()
            try Data("kept".utf8).write(to: URL(fileURLWithPath: first.exportPath + "/file"))
            try await VolumePreparer.release(first, logger: testLogger)
            try await mustRun(["e2label", image, ""])

            let other = try await untouchedRefusal(scratch.preparer(image, volume: "vol-b"), image: image)
            guard case .otherVolume(_, "vol-a", "vol-b") = other else { Issue.record("got \(String(describing: other))"); return }
            // Anything at the root beside the layout is what an adopted volume's clients leave.
            try scratch.mountedElsewhere(image) { try Data("x".utf8).write(to: URL(fileURLWithPath: $0 + "/report.txt")) }
            let untrusted = try await untouchedRefusal(scratch.preparer(image), image: image)
            guard case .legacyMarkerUntrusted(_, "report.txt") = untrusted else { Issue.record("got \(String(describing: untrusted))"); return }
            try scratch.mountedElsewhere(image) { try FileManager.default.removeItem(atPath: $0 + "/report.txt") }
            let second = try await scratch.preparer(image).prepare()
            #expect(!second.adopted && !second.formatted && second.exportPath == scratch.mountPoint + "/data")
            #expect(try String(contentsOfFile: second.exportPath + "/file", encoding: .utf8) == "kept")
            try await VolumePreparer.release(second, logger: testLogger)
            #expect(blkidLabel(image) == "sm-volume")
        }
    }
}

/// What a client can leave at `.share-manager/volume.json` on an adopted filesystem, each
/// with a `data/` folder and fake recovery records beside it.
enum PlantedMarker: String, CaseIterable, Sendable {
    case namingThisVolume, namingAnotherVolume, layoutFromTheFuture, garbage, fifo, symlinkToHostFile, huge, folder

    func plant(_ root: String) throws {
        let files = FileManager.default
        let folder = root + "/.share-manager"
        let marker = folder + "/volume.json"
        try files.createDirectory(atPath: folder + "/recovery/v4recov/node0/10.0.0.9-(4:fake)", withIntermediateDirectories: true)
        try files.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        let write = { (text: String) in try Data(text.utf8).write(to: URL(fileURLWithPath: marker)) }
        switch self {
        case .namingThisVolume: try write(#"{"volume":"vol-a","layoutVersion":1}"#)
        case .namingAnotherVolume: try write(#"{"volume":"vol-other","layoutVersion":1}"#)
        case .layoutFromTheFuture: try write(#"{"volume":"vol-a","layoutVersion":99}"#)
        case .garbage: try write("\u{1b}[2J not json\n")
        case .fifo: guard mkfifo(marker, 0o600) == 0 else { throw POSIXError(.EIO) }
        case .symlinkToHostFile: try files.createSymbolicLink(atPath: marker, withDestinationPath: "/etc/passwd")
        case .huge: try write(#"{"volume":"vol-a","layoutVersion":1,"pad":""# + String(repeating: " ", count: 1 << 20) + #""}"#)
        case .folder: try files.createDirectory(atPath: marker, withIntermediateDirectories: false)
        }
    }
}
