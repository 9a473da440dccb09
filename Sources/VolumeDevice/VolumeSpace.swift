import ChildProcesses
import Glibc
import SystemPackage

/// Room left for clients on the exported tree, from statvfs of the export path (which
/// reports a project quota's limits when the folder has one, on ext4 and xfs alike).
public struct VolumeSpace: Sendable, Equatable {
    public var sizeBytes: UInt64
    public var availableBytes: UInt64
    public var files: UInt64
    public var filesAvailable: UInt64
    /// Free inodes including those kept for root (`filesAvailable` counts a client's).
    public var filesFree: UInt64

    public enum Resource: String, Sendable, CaseIterable {
        case blocks, inodes
    }

    /// What ran out, and the error a writer gets.
    public struct Full: Sendable, Equatable, CustomStringConvertible {
        public var resources: [Resource]
        public var error: Int32

        public var description: String {
            let what = resources.map { $0 == .blocks ? "no free blocks" : "no free inodes" }.joined(separator: " and ")
            return "volume full (\(what)): new writes fail with '\(Errno(rawValue: error))' "
                + "until files are deleted or the volume is grown; reads and deletes work"
        }
    }

    /// nil when statvfs fails (the health probe reports an unmounted volume itself).
    public static func measure(_ path: String) -> VolumeSpace? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let unit = UInt64(stats.f_frsize)
        return VolumeSpace(
            sizeBytes: UInt64(stats.f_blocks) * unit, availableBytes: UInt64(stats.f_bavail) * unit,
            files: UInt64(stats.f_files), filesAvailable: UInt64(stats.f_favail), filesFree: UInt64(stats.f_ffree)
        )
    }

    /// `measure` on NIO's thread pool: statvfs of a served mount blocks while its device or
    /// server does not answer, and async callers (probes, metrics, status) must not hold a
    /// cooperative thread for it.
    public static func measured(_ path: String) async -> VolumeSpace? {
        await offCooperativePool { measure(path) }
    }

    /// Full when statvfs says no block or no inode is left for an unprivileged writer, or when
    /// the write probe got `probeError` (ENOSPC, EDQUOT) although statvfs still shows some:
    /// ext4 keeps blocks back for delayed allocation and metadata that statvfs counts free.
    public func full(probeError: Int32?) -> Full? {
        var resources: [Resource] = []
        if availableBytes == 0 { resources.append(.blocks) }
        // A filesystem that reports no inode count at all has no verdict on inodes.
        if files > 0 && filesAvailable == 0 { resources.append(.inodes) }
        if resources.isEmpty, probeError != nil { resources.append(.blocks) }
        guard !resources.isEmpty else { return nil }
        return Full(resources: resources, error: probeError ?? ENOSPC)
    }
}
