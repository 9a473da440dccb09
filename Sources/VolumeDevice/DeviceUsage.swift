import FoundationEssentials
import Glibc
import LinuxSupport
import Logging

/// The checks that a block device is used by nobody else before share-manager touches it.
/// Two mounts of one filesystem corrupt it, so every way of "in use" we can see is a refusal.
struct DeviceUsage: Sendable {
    let runner: ToolRunner

    /// Throws when `device` is mounted, held, shares its loop backing file, or is open exclusively.
    func refuseIfInUse(_ device: String) throws(DeviceError) {
        guard let identity = try FileIdentity.of(device) else { throw .deviceMissing(device) }
        guard identity.kind == .block else { throw .unsupportedDeviceKind(device) }

        let mounts = try MountTable.current().mountPoints(ofDevice: identity.majorMinor)
        guard mounts.isEmpty else { throw .deviceMounted(device: device, mountPoints: mounts) }

        let holders = SystemCall.folderEntries(identity.sysfsPath + "/holders") ?? []
        guard holders.isEmpty else { throw .deviceHasHolders(device: device, holders: holders) }

        if let backing = try? SystemCall.readFile(identity.sysfsPath + "/loop/backing_file") {
            let image = backing.trimmingLineBreaks
            if FileManager.default.fileExists(atPath: image) {
                let others = try LoopAttachment.attachedDevices(of: image).filter {
                    (try? FileIdentity.of($0))?.rdev != identity.rdev
                }
                guard others.isEmpty else {
                    throw .backingFileShared(device: device, image: image, otherLoopDevices: others)
                }
            }
        }

        // The kernel's own answer: O_EXCL on a block device fails with EBUSY while it is
        // mounted or claimed by any exclusive opener, including ones we cannot see above.
        let fd = Glibc.open(device, O_RDONLY | O_EXCL | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == EBUSY { throw .deviceBusy(device) }
            throw .systemCall("open", path: device, errno: errno)
        }
        close(fd)
    }

    /// Throws when `path` is already a mount point.
    static func refuseIfMountPoint(_ path: String) throws(DeviceError) {
        if try MountTable.current().isMountPoint(path) { throw .mountPointInUse(path) }
    }
}
