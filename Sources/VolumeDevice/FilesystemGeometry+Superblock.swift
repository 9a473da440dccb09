import Glibc

extension FilesystemGeometry {
    /// The size of an unmounted filesystem from its primary superblock, read directly: the
    /// figures `dumpe2fs -h` and `xfs_db` print, without starting a tool on the start path
    /// (dumpe2fs cost about 3 ms of every start). A mounted filesystem may have a newer size
    /// in memory than on disk, so `size(of:)` stays the way to ask about one. A superblock
    /// that does not parse falls back to the tool, which then says what is wrong.
    static func unmountedSize(of device: String, filesystem: FilesystemType, runner: ToolRunner) throws(DeviceError) -> Int64 {
        let fd = try SystemCall.open(device, O_RDONLY)
        defer { close(fd) }
        let head = try SystemCall.pread(fd, count: 4096, offset: 0, path: device)
        let parsed = switch filesystem {
        case .ext4: ext4Size(superblock: Array(head.dropFirst(ext4SuperblockOffset)))
        case .xfs: xfsSize(superblock: head)
        }
        if let parsed { return parsed }
        return try size(of: device, filesystem: filesystem, runner: runner)
    }

    static let ext4SuperblockOffset = 1024

    /// `s_blocks_count` (64-bit when the `64bit` feature is set) × 1024 << `s_log_block_size`;
    /// `superblock` starts at the superblock, 1024 bytes into the device. Little-endian.
    static func ext4Size(superblock sb: [UInt8]) -> Int64? {
        guard sb.count >= 0x154, littleEndian(sb, at: 0x38, bytes: 2) == 0xEF53 else { return nil }
        let logBlockSize = littleEndian(sb, at: 0x18, bytes: 4)
        guard logBlockSize <= 6 else { return nil }  // 64 KiB is ext4's largest block
        let incompat64Bit: UInt64 = 0x80
        var blocks = littleEndian(sb, at: 0x04, bytes: 4)
        if littleEndian(sb, at: 0x60, bytes: 4) & incompat64Bit != 0 {
            blocks |= littleEndian(sb, at: 0x150, bytes: 4) << 32
        }
        return product(blocks, UInt64(1024) << logBlockSize)
    }

    /// `sb_dblocks` × `sb_blocksize` of the data section, as xfs_info's `data` line; the
    /// superblock is the device's first sector. Big-endian.
    static func xfsSize(superblock sb: [UInt8]) -> Int64? {
        guard sb.count >= 16, sb[0..<4].elementsEqual("XFSB".utf8) else { return nil }
        let blockSize = bigEndian(sb, at: 4, bytes: 4)
        guard (512...65536).contains(blockSize), blockSize & (blockSize - 1) == 0 else { return nil }
        return product(bigEndian(sb, at: 8, bytes: 8), blockSize)
    }

    private static func product(_ count: UInt64, _ size: UInt64) -> Int64? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, bytes <= UInt64(Int64.max), count > 0 else { return nil }
        return Int64(bytes)
    }

    private static func littleEndian(_ bytes: [UInt8], at offset: Int, bytes count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int, bytes count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }
}
