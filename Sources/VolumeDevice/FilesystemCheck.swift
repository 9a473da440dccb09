import Logging

/// The check before a read-write mount. Only ext4 gets one: xfs replays its log at mount and
/// xfs_repair is for an operator, not an automatic start.
struct FilesystemCheck: Sendable {
    let runner: ToolRunner

    /// `forced` checks a clean filesystem too. resize2fs refuses to grow one whose last check
    /// is older than its last mount (any volume mounted since mkfs), so a grow needs it.
    func check(_ device: String, label: String, filesystem: FilesystemType, forced: Bool = false) throws(DeviceError) {
        guard filesystem == .ext4 else { return }
        // -p repairs only what is safe without a human; its exit status is a bit mask.
        let result = try runner.run("e2fsck", forced ? ["-f", "-p", device] : ["-p", device])
        switch result.status {
        case 0:
            return
        case 1:
            runner.logger.notice("e2fsck corrected errors", metadata: ["device": "\(label)", "output": "\(result.summary)"])
        case 2, 3:
            // "Reboot suggested" matters for a mounted root filesystem, which this never is.
            runner.logger.warning("e2fsck corrected errors and suggests a reboot; not needed for an unmounted volume", metadata: [
                "device": "\(label)", "output": "\(result.summary)",
            ])
        default:
            throw .filesystemErrors(device: label, status: result.status, detail: result.summary)
        }
    }
}
