import Logging

extension VolumePreparer {
    /// The sizes of device and filesystem, refusing a filesystem larger than its device (the
    /// device was shrunk underneath): reads past its end fail, and nothing can repair that.
    func measure(_ blockDevice: String, label: String) throws(DeviceError) -> (device: Int64, filesystem: Int64) {
        let device = try SystemCall.size(of: blockDevice)
        let filesystem = try FilesystemGeometry.unmountedSize(of: blockDevice, filesystem: fsType, runner: runner)
        guard filesystem <= device else { throw .deviceShrank(device: label, deviceBytes: device, filesystemBytes: filesystem) }
        return (device, filesystem)
    }

    /// ext4 grows before the mount: online resize2fs needs CAP_SYS_RESOURCE, which a
    /// container's root often lacks, while offline it needs nothing. A failure stops the start,
    /// since a resize cut short wants a look by a human.
    /// Only when `needsOfflineGrow`, after a forced check (see `FilesystemCheck`).
    func growOffline(_ blockDevice: String, label: String, sizes: (device: Int64, filesystem: Int64)) throws(DeviceError) {
        logger.notice("device is larger than its filesystem; growing it before the mount", metadata: [
            "device": "\(label)", "fromBytes": .stringConvertible(sizes.filesystem), "deviceBytes": .stringConvertible(sizes.device),
        ])
        _ = try FilesystemGrower.grow(device: blockDevice, mountPoint: nil, filesystem: fsType, from: sizes.filesystem, runner: runner)
    }

    func needsOfflineGrow(_ sizes: (device: Int64, filesystem: Int64)) -> Bool {
        fsType == .ext4 && sizes.device - sizes.filesystem > FilesystemGeometry.slack
    }

    /// xfs grows only while mounted. A failure leaves a working volume at its old size, so
    /// it is logged, not thrown.
    func growOnline(_ blockDevice: String, label: String, sizes: (device: Int64, filesystem: Int64)) {
        guard fsType == .xfs, sizes.device - sizes.filesystem > FilesystemGeometry.slack else { return }
        do throws(DeviceError) {
            _ = try FilesystemGrower.grow(device: blockDevice, mountPoint: mountPoint, filesystem: fsType, from: sizes.filesystem, runner: runner)
        } catch {
            logger.warning("xfs_growfs failed; the volume keeps its old size", metadata: ["device": "\(label)", "error": "\(error)"])
        }
    }
}
