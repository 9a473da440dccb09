import Logging

/// mkfs, for blank devices and unfinished formats only (the caller has probed).
///
/// A format is unfinished until its label changes: mkfs writes the label `sm-pending`, and
/// only once the layout and the marker are on disk does `setVolumeLabel` replace it with
/// `sm-volume`, which stays. The label is what tells share-manager's own filesystems from
/// adopted ones: NFS clients can write files, never a label (docs/volume-states.md).
struct Formatter: Sendable {
    static let pendingLabel = "sm-pending"
    /// Kept for the filesystem's life; fits xfs's 12 bytes and ext4's 16.
    static let volumeLabel = "sm-volume"

    let runner: ToolRunner

    func format(_ device: String, label: String, as filesystem: FilesystemType, options: [String]) throws(DeviceError) {
        let size = try SystemCall.size(of: device)
        guard size >= filesystem.minimumBytes else {
            throw .tooSmall(device: label, bytes: size, filesystem: filesystem, minimum: filesystem.minimumBytes)
        }
        let command = filesystem.mkfsCommand
        runner.logger.notice("formatting device", metadata: [
            "device": "\(label)", "filesystem": "\(filesystem.rawValue)", "bytes": .stringConvertible(size),
            "options": "\(options.joined(separator: " "))",
        ])
        // The operator's options come after our defaults, so theirs win where both set one.
        try runner.check(command.tool, command.arguments + options + ["-L", Self.pendingLabel, device])
    }

    /// Labels the mounted filesystem as share-manager's, which finishes a format.
    func setVolumeLabel(_ device: String, mountPoint: String, filesystem: FilesystemType) throws(DeviceError) {
        switch filesystem {
        // Both go through the kernel's FS_IOC_SETFSLABEL on a mounted filesystem.
        case .ext4: try runner.check("e2label", [device, Self.volumeLabel])
        case .xfs: try runner.check("xfs_io", ["-c", "label -s \(Self.volumeLabel)", mountPoint])
        }
        runner.logger.info("format finished: label set", metadata: ["device": "\(device)", "label": "\(Self.volumeLabel)"])
    }
}
