import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// The start path reads a filesystem's size from its superblock instead of running
/// dumpe2fs or xfs_db: it must agree with those tools on what mkfs really makes.
extension DeviceIntegration {
    @Suite struct Superblock {
        static let layouts: [(FilesystemType, Int, [String])] = [
            (.ext4, 64, []),
            (.ext4, 100, ["-b", "1024", "-O", "^64bit"]),
            (.ext4, 130, ["-b", "4096", "-O", "64bit"]),
            (.ext4, 97, ["-b", "2048"]),
            (.xfs, 320, []),
            (.xfs, 333, ["-b", "size=1024"]),
        ]

        @Test(.deviceParts(extraTools: ["mkfs.xfs", "xfs_info", "dumpe2fs"]), arguments: layouts.indices)
        func superblockSizeMatchesTheTools(index: Int) async throws {
            let (fsType, mebibytes, options) = Self.layouts[index]
            try await Scratch.with { scratch in
                let image = try scratch.image(mebibytes: mebibytes)
                let mkfs = fsType == .ext4 ? ["mkfs.ext4", "-q", "-F"] : ["mkfs.xfs", "-q", "-f"]
                try #require(try runCommand(mkfs + options + [image]).status == 0)
                let runner = ToolRunner(logger: testLogger)
                let fromTool = try FilesystemGeometry.size(of: image, filesystem: fsType, runner: runner)
                let fromSuperblock = try FilesystemGeometry.unmountedSize(of: image, filesystem: fsType, runner: runner)
                #expect(fromSuperblock == fromTool, "\(fsType) \(options): superblock \(fromSuperblock), tool \(fromTool)")
                let head = try Data(contentsOf: URL(fileURLWithPath: image)).prefix(4096)
                let parsed = fsType == .ext4
                    ? FilesystemGeometry.ext4Size(superblock: Array(head.dropFirst(FilesystemGeometry.ext4SuperblockOffset)))
                    : FilesystemGeometry.xfsSize(superblock: Array(head))
                #expect(parsed == fromTool, "the superblock itself parsed, not the fallback")
            }
        }
    }
}

/// Superblocks that are not what they claim are not trusted: the tool is asked instead.
@Suite struct SuperblockParsing {
    @Test func foreignOrDamagedSuperblocksAreNotParsed() {
        var ext4 = [UInt8](repeating: 0, count: 0x200)
        ext4[0x38] = 0x53; ext4[0x39] = 0xEF
        ext4[0x04] = 0x00; ext4[0x05] = 0x00; ext4[0x06] = 0x01  // 65536 blocks
        ext4[0x18] = 0  // 1 KiB blocks
        #expect(FilesystemGeometry.ext4Size(superblock: ext4) == 64 << 20)
        var badMagic = ext4
        badMagic[0x38] = 0
        #expect(FilesystemGeometry.ext4Size(superblock: badMagic) == nil)
        var hugeBlocks = ext4
        hugeBlocks[0x18] = 40
        #expect(FilesystemGeometry.ext4Size(superblock: hugeBlocks) == nil)
        var sixtyFour = ext4
        sixtyFour[0x60] = 0x80
        sixtyFour[0x150] = 1  // 2^32 more blocks of 1 KiB
        #expect(FilesystemGeometry.ext4Size(superblock: sixtyFour) == (Int64(1) << 42) + (64 << 20))
        #expect(FilesystemGeometry.ext4Size(superblock: Array(ext4.prefix(0x100))) == nil)

        var xfs = [UInt8](repeating: 0, count: 512)
        xfs.replaceSubrange(0..<4, with: Array("XFSB".utf8))
        xfs[6] = 0x10  // 4096-byte blocks
        xfs[13] = 0x01; xfs[14] = 0x40  // 0x14000 = 81920 blocks
        #expect(FilesystemGeometry.xfsSize(superblock: xfs) == 320 << 20)
        var oddBlock = xfs
        oddBlock[6] = 0x11
        #expect(FilesystemGeometry.xfsSize(superblock: oddBlock) == nil)
        var noMagic = xfs
        noMagic[0] = 0
        #expect(FilesystemGeometry.xfsSize(superblock: noMagic) == nil)
        var overflow = xfs
        for i in 8..<16 { overflow[i] = 0xFF }
        #expect(FilesystemGeometry.xfsSize(superblock: overflow) == nil)
    }
}
