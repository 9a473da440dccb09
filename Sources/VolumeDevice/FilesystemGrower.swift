import FoundationEssentials
import Glibc
import Logging

/// What `FilesystemGrower.growIfNeeded` did.
public enum GrowOutcome: Sendable, Equatable {
    /// The filesystem already fills the device (within a MiB).
    case unchanged
    /// The filesystem now spans `to` bytes instead of `from`.
    case grown(from: Int64, to: Int64)
    /// The device is smaller than the filesystem: someone shrank it underneath. Nothing was done.
    case deviceShrank(device: Int64, filesystem: Int64)
    /// The grow tool failed while mounted, e.g. ext4 without CAP_SYS_RESOURCE; an ext4 volume
    /// is grown offline at the next start instead.
    case onlineGrowFailed(reason: String)
}

/// Grows a mounted volume's filesystem to its device after the device was enlarged.
public struct FilesystemGrower: Sendable {
    let runner: ToolRunner

    public init(logger: Logger) {
        runner = ToolRunner(logger: logger)
    }

    /// The device's size now. A loop device keeps the size its image had when attached until
    /// `losetup -c` asks it to look again.
    public func deviceSize(of volume: PreparedVolume) async throws(DeviceError) -> Int64 {
        if let loop = volume.attachedLoop { try LoopIoctl.refreshCapacity(of: loop) }
        return try SystemCall.size(of: volume.devicePath)
    }

    /// The filesystem's own size in bytes.
    public func filesystemSize(of volume: PreparedVolume) throws(DeviceError) -> Int64 {
        try FilesystemGeometry.size(of: Self.sizeTarget(volume), filesystem: volume.filesystem, runner: runner)
    }

    /// Grows the filesystem when its device is more than a MiB larger. Throws only when the
    /// sizes cannot be read; a failed grow is an outcome, since the volume keeps working.
    public func growIfNeeded(_ volume: PreparedVolume) async throws(DeviceError) -> GrowOutcome {
        let device = try await deviceSize(of: volume)
        let filesystem = try filesystemSize(of: volume)
        // The two outcomes below are logged by the caller, which sees them at every poll.
        if filesystem > device { return .deviceShrank(device: device, filesystem: filesystem) }
        guard device - filesystem > FilesystemGeometry.slack else { return .unchanged }
        do throws(DeviceError) {
            return try Self.grow(device: volume.devicePath, mountPoint: volume.mountPoint, filesystem: volume.filesystem, from: filesystem, runner: runner)
        } catch {
            var reason = error.description
            if case .toolFailed(let command, let status, let detail) = error { reason = "\(command) exited with \(status): \(detail)" }
            if volume.filesystem == .ext4 { reason += "; ext4 is grown offline at the next start" }
            return .onlineGrowFailed(reason: reason)
        }
    }

    /// Runs the grow tool and measures again. ext4 grows with resize2fs (offline when
    /// `mountPoint` is nil), xfs only mounted with xfs_growfs.
    static func grow(
        device: String, mountPoint: String?, filesystem: FilesystemType, from before: Int64, runner: ToolRunner
    ) throws(DeviceError) -> GrowOutcome {
        switch filesystem {
        case .ext4: try runner.check("resize2fs", [device])
        case .xfs: try runner.check("xfs_growfs", [mountPoint ?? device])
        }
        let target = filesystem == .xfs ? (mountPoint ?? device) : device
        let after = try FilesystemGeometry.size(of: target, filesystem: filesystem, runner: runner)
        // A tail too small for a whole group stays unused: the tool ran but nothing changed.
        guard after != before else { return .unchanged }
        runner.logger.notice("filesystem grown", metadata: [
            "device": "\(device)", "filesystem": "\(filesystem.rawValue)", "fromBytes": .stringConvertible(before), "toBytes": .stringConvertible(after),
            "online": .stringConvertible(mountPoint != nil),
        ])
        return .grown(from: before, to: after)
    }

    /// xfs_info answers from the kernel for a mount point, which is current after an online grow.
    static func sizeTarget(_ volume: PreparedVolume) -> String {
        volume.filesystem == .xfs ? volume.mountPoint : volume.devicePath
    }
}
