import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

@Suite struct ZeroCheckTests {
    @Test func smallFileIsCheckedWhole() throws {
        let folder = try TemporaryDirectory(prefix: "sm-zero")
        defer { folder.remove() }
        let path = folder.file("small")
        try Data(count: 2000).write(to: URL(fileURLWithPath: path))
        #expect(try ZeroCheck.edgesAreZero(path, window: 1024))
        try overwrite(path, at: 1500, with: [7])
        #expect(try !ZeroCheck.edgesAreZero(path, window: 1024))
    }

    @Test func largeFileIsCheckedAtBothEndsOnly() throws {
        let folder = try TemporaryDirectory(prefix: "sm-zero")
        defer { folder.remove() }
        let path = folder.file("large")
        try Data(count: 8192).write(to: URL(fileURLWithPath: path))
        try overwrite(path, at: 4000, with: [7])
        #expect(try ZeroCheck.edgesAreZero(path, window: 1024), "the middle is not looked at")
        try overwrite(path, at: 8191, with: [1])
        #expect(try !ZeroCheck.edgesAreZero(path, window: 1024))
    }

    @Test func emptyFileIsZero() throws {
        let folder = try TemporaryDirectory(prefix: "sm-zero")
        defer { folder.remove() }
        let path = folder.file("empty")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        #expect(try ZeroCheck.edgesAreZero(path))
    }
}

@Suite struct ParsingTests {
    @Test func mountInfoIsParsedAndUnescaped() {
        let text = """
            36 35 98:0 / /mnt/a\\040b rw,noatime master:1 - ext3 /dev/root rw,errors=continue
            37 35 7:3 / /srv/vol rw - ext4 /dev/loop3 rw
            """
        let table = MountTable(text: text)
        #expect(table.entries == [.init(majorMinor: "98:0", mountPoint: "/mnt/a b"), .init(majorMinor: "7:3", mountPoint: "/srv/vol")])
        #expect(table.mountPoints(ofDevice: "7:3") == ["/srv/vol"])
    }

    @Test func blkidExportIsClassified() {
        #expect(DeviceProbe.classify(export: "DEVNAME=x\nTYPE=ext4\n", wipefsSignatures: ["ext4"]) == .filesystem(.ext4))
        #expect(DeviceProbe.classify(export: "TYPE=xfs\n", wipefsSignatures: ["xfs"]) == .filesystem(.xfs))
        #expect(DeviceProbe.classify(export: "TYPE=crypto_LUKS\n", wipefsSignatures: []) == .foreign("a crypto_LUKS signature"))
        #expect(DeviceProbe.classify(export: "PTTYPE=gpt\n", wipefsSignatures: []) == .foreign("a gpt partition table"))
        #expect(DeviceProbe.classify(export: "TYPE=ext4\n", wipefsSignatures: ["ext4", "dos"])
            == .foreign("an ext4 filesystem together with other signatures (dos)"))
    }

    @Test func everyErrorIsOneLine() {
        let errors: [DeviceError] = [
            .deviceMissing("/dev/x"), .imageAlreadyAttached(image: "/i", loopDevices: ["/dev/loop1"]),
            .notBlank(device: "/dev/loop3", found: "a crypto_LUKS signature"),
            .markerMissing(device: "/dev/x", filesystem: .ext4), .systemCall("open", path: "/dev/x", errno: EBUSY),
            .toolFailed(command: "mount", status: 32, detail: ToolResult(status: 32, stdout: "", stderr: "a\nb\n").summary),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"), "\(error)")
        }
        #expect(DeviceError.notBlank(device: "/dev/loop3", found: "a crypto_LUKS signature").description.contains("wipefs -a"))
    }
}
