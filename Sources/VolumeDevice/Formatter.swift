import Logging

/// mkfs, for blank devices and unfinished formats only (the caller has probed).
///
/// A format is unfinished until its label is cleared: mkfs writes the label `sm-pending`,
/// and only once the layout and the marker are on disk does `clearPendingLabel` remove it.
/// A start that finds the label and no marker knows the filesystem never held user data
/// (nothing is exported before the label goes) and formats it again.
struct Formatter: Sendable {
    static let pendingLabel = "sm-pending"

    let runner: ToolRunner

    func format(_ device: String, label: String, as filesystem: FilesystemType, options: [String]) throws(DeviceError) {
        let size = try SystemCall.size(of: device)
        guard size >= filesystem.minimumBytes else {
            throw .tooSmall(device: label, bytes: size, filesystem: filesystem, minimum: filesystem.minimumBytes)
        }
        let command = filesystem.mkfsCommand
        runner.logger.notice("formatting device", metadata: [
            "device": "\(label)", "filesystem": "\(filesystem.rawValue)", "bytes": "\(size)",
            "options": "\(options.joined(separator: " "))",
        ])
        // The operator's options come after our defaults, so theirs win where both set one.
        try runner.check(command.tool, command.arguments + options + ["-L", Self.pendingLabel, device])
    }

    /// Removes the pending label from the mounted filesystem, which finishes the format.
    func clearPendingLabel(_ device: String, mountPoint: String, filesystem: FilesystemType) throws(DeviceError) {
        switch filesystem {
        // Both go through the kernel's FS_IOC_SETFSLABEL on a mounted filesystem.
        case .ext4: try runner.check("e2label", [device, ""])
        case .xfs: try runner.check("xfs_io", ["-c", "label -c", mountPoint])
        }
        runner.logger.info("format finished: pending label cleared", metadata: ["device": "\(device)"])
    }
}
