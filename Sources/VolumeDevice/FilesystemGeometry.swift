import FoundationEssentials
import Glibc
import LinuxSupport

/// How big a filesystem says it is: its superblock's block count times its block size, read
/// without writing (dumpe2fs reads the device; xfs_info asks the kernel for a mounted xfs and
/// runs xfs_db read-only for an unmounted one).
enum FilesystemGeometry {
    /// A device and a filesystem closer in size than this count as the same size: mkfs leaves
    /// a tail too small for a block or allocation group unused, and a grow could not use it either.
    static let slack: Int64 = 1 << 20

    /// `target` is the device, or for a mounted xfs preferably its mount point.
    static func size(of target: String, filesystem: FilesystemType, runner: ToolRunner) throws(DeviceError) -> Int64 {
        let tool = filesystem == .ext4 ? ("dumpe2fs", ["-h", target]) : ("xfs_info", [target])
        let output = try runner.check(tool.0, tool.1).stdout
        let parsed = filesystem == .ext4 ? ext4Size(dumpe2fs: output) : xfsSize(xfsInfo: output)
        guard let parsed else {
            let command = ([tool.0] + tool.1).joined(separator: " ")
            throw .toolFailed(command: command, status: 0, detail: "its output names no block count and block size")
        }
        return parsed
    }

    /// `Block count:` × `Block size:` from `dumpe2fs -h`.
    static func ext4Size(dumpe2fs output: String) -> Int64? {
        var count: Int64?, size: Int64?
        for line in output.split(whereSeparator: \.isNewline) {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmed }
            guard pair.count == 2 else { continue }
            if pair[0] == "Block count" { count = Int64(pair[1]) }
            if pair[0] == "Block size" { size = Int64(pair[1]) }
        }
        guard let count, let size else { return nil }
        return count * size
    }

    /// `bsize=` × `blocks=` of the `data` section of `xfs_info` (the log and naming sections
    /// have their own bsize and blocks).
    static func xfsSize(xfsInfo output: String) -> Int64? {
        guard let line = output.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("data") }) else { return nil }
        var values: [String: Int64] = [:]
        for token in line.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let pair = token.split(separator: "=", maxSplits: 1)
            if pair.count == 2, let value = Int64(pair[1]) { values[String(pair[0])] = value }
        }
        guard let size = values["bsize"], let count = values["blocks"] else { return nil }
        return count * size
    }
}
