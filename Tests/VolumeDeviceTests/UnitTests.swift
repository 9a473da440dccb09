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
        #expect(table.entries.map(\.mountPoint) == ["/mnt/a b", "/srv/vol"])
        #expect(table.entries.map(\.majorMinor) == ["98:0", "7:3"])
        #expect(table.entries[0].filesystemType == "ext3")
        #expect(table.entries[0].options == ["rw", "noatime", "rw", "errors=continue"])
        #expect(table.mountPoints(ofDevice: "7:3") == ["/srv/vol"])
    }

    @Test func mountInfoShowsEmergencyReadOnly() {
        let text = "42 27 7:0 / /tmp/m rw,relatime - ext4 /dev/loop0 rw,errors=remount-ro,emergency_ro"
        #expect(MountTable(text: text).entry(at: "/tmp/m")?.options.contains("emergency_ro") == true)
    }

    @Test func filesystemSizesAreParsed() {
        let dumpe2fs = "Filesystem volume name:   <none>\nBlock count:              65536\nBlock size:               1024\n"
        #expect(FilesystemGeometry.ext4Size(dumpe2fs: dumpe2fs) == 64 << 20)
        let xfsInfo = """
            meta-data=/dev/loop0             isize=512    agcount=4, agsize=20480 blks
            data     =                       bsize=4096   blocks=81920, imaxpct=25
            naming   =version 2              bsize=4096   ascii-ci=0, ftype=1
            log      =internal log           bsize=4096   blocks=16384, version=2
            """
        #expect(FilesystemGeometry.xfsSize(xfsInfo: xfsInfo) == 320 << 20)
        #expect(FilesystemGeometry.ext4Size(dumpe2fs: "nothing") == nil)
    }

    @Test func fstrimReportIsParsed() {
        #expect(Trimmer.trimmedBytes("/mnt: 320 MiB (335544320 bytes) trimmed\n") == 335_544_320)
        #expect(Trimmer.trimmedBytes("/mnt: 0 B (0 bytes) trimmed\n") == 0)
        #expect(Trimmer.trimmedBytes("something else") == nil)
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
            .markerMissing(device: "/dev/x", filesystem: .ext4), .systemCall("open", path: "/dev/x", errno: .resourceBusy),
            .toolFailed(command: "mount", status: 32, detail: ToolResult(status: 32, stdout: "", stderr: "a\nb\n").summary),
            .deviceShrank(device: "/dev/x", deviceBytes: 1, filesystemBytes: 2),
            .readOnlyNeedsFormat(device: "/dev/x", found: "blank"),
            .recoveryDirUnusable(path: "x", reason: "it is not an absolute path"),
            .pendingHoldsData(device: "/dev/x", found: FilesystemPeek.shown("a\nb\u{1b}[2J")),
            .legacyMarkerUntrusted(device: "/dev/x", found: FilesystemPeek.shown("report\r\n.txt")),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"), "\(error)")
        }
        #expect(DeviceError.notBlank(device: "/dev/loop3", found: "a crypto_LUKS signature").description.contains("wipefs -a"))
    }
}
