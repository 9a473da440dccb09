import ChildProcesses
import FoundationEssentials
import SystemPackage

/// Why share-manager did not prepare a device. Each description is one line that says what
/// was found and what the operator can do about it; a refusal has left the device untouched.
public enum DeviceError: Error, CustomStringConvertible, Sendable, Equatable {
    case deviceMissing(String)
    case unsupportedDeviceKind(String)
    case imageAlreadyAttached(image: String, loopDevices: [String])
    case deviceMounted(device: String, mountPoints: [String])
    case deviceHasHolders(device: String, holders: [String])
    case backingFileShared(device: String, image: String, otherLoopDevices: [String])
    case deviceBusy(String)
    case deviceClaimed(device: String, node: String, holder: String)
    case volumeInUse(mountPoint: String, holder: String)
    case mountPointInUse(String)
    case mountPointUnusable(path: String, reason: String)
    case notBlank(device: String, found: String)
    case filesystemMismatch(device: String, found: FilesystemType, requested: FilesystemType)
    case tooSmall(device: String, bytes: Int64, filesystem: FilesystemType, minimum: Int64)
    case markerMissing(device: String, filesystem: FilesystemType)
    case markerUnreadable(device: String, reason: String)
    case pendingHoldsData(device: String, found: String)
    case legacyMarkerUntrusted(device: String, found: String)
    case otherVolume(device: String, found: String, expected: String)
    case layoutTooNew(device: String, found: Int, supported: Int)
    case filesystemErrors(device: String, status: Int32, detail: String)
    case unmountBusy(mountPoint: String, detail: String)
    case mountFailed(device: String, mountPoint: String, options: String, errno: Errno)
    case deviceShrank(device: String, deviceBytes: Int64, filesystemBytes: Int64)
    case readOnlyNeedsFormat(device: String, found: String)
    case recoveryDirUnusable(path: String, reason: String)
    case invalidMkfsOption(option: String, filesystem: FilesystemType, allowed: String)
    case invalidMountOption(option: String, filesystem: FilesystemType, allowed: String)
    case toolMissing(String)
    case toolFailed(command: String, status: Int32, detail: String)
    /// The tool was found but could not be started (`SpawnError` says why, with its errno).
    case toolNotStarted(command: String, SpawnError)
    case systemCall(String, path: String, errno: Errno)

    public var description: String {
        switch self {
        case .deviceMissing(let path):
            return "device \(path) does not exist; check the device path given to share-manager"
        case .unsupportedDeviceKind(let path):
            return "\(path) is neither a block device nor an image file; give share-manager a block device or a regular file"
        case .imageAlreadyAttached(let image, let loops):
            return "image \(image) is already attached to \(loops.joined(separator: ", ")); two attachments of one filesystem corrupt it, so share-manager refused; once nothing uses them (a crashed share-manager's Ganesha is gone), detach them: losetup -d \(loops.joined(separator: " "))"
        case .deviceMounted(let device, let mountPoints):
            return "device \(device) is in use: mounted at \(mountPoints.joined(separator: ", ")); two mounts of one filesystem corrupt it, so share-manager refused; unmount it first: umount \(mountPoints.joined(separator: " "))"
        case .deviceHasHolders(let device, let holders):
            return "device \(device) is in use by \(holders.joined(separator: ", ")) (device-mapper, RAID or LVM); share-manager refused to touch it; release it from those first"
        case .backingFileShared(let device, let image, let others):
            return "loop device \(device) shares its backing file \(image) with \(others.joined(separator: ", ")); two attachments of one filesystem corrupt it, so share-manager refused; detach the others: losetup -d \(others.joined(separator: " "))"
        case .deviceBusy(let device):
            return "device \(device) is in use by another program that opened it exclusively (EBUSY); share-manager refused to touch it; find the user with lsof or fuser and stop it"
        case .deviceClaimed(let device, let node, let holder):
            return "device \(device) is in use by \(holder), which holds the lock on \(node) while it checks, formats or mounts it; share-manager refused to touch it; if another share-manager serves this volume, stop it first"
        case .volumeInUse(let mountPoint, let holder):
            return "this volume is already mounted at \(mountPoint) and in use by \(holder); share-manager takes over only a mount left by an instance that no longer runs; stop the running one first"
        case .mountPointInUse(let path):
            return "mount point \(path) is already a mount point; share-manager refused to mount over it; unmount it (umount \(path)) or choose another mount point"
        case .mountPointUnusable(let path, let reason):
            return "mount point \(path) cannot be used: \(reason)"
        case .notBlank(let device, let found):
            return "device \(device) holds \(found); share-manager formats only blank devices and refused to touch it; if its data is not needed, wipe it yourself (wipefs -a for signatures, blkdiscard -z or dd for raw data)"
        case .filesystemMismatch(let device, let found, let requested):
            return "device \(device) holds an \(found.rawValue) filesystem but \(requested.rawValue) was requested; share-manager does not convert filesystems; request \(found.rawValue) or move the data to a new volume"
        case .tooSmall(let device, let bytes, let filesystem, let minimum):
            return "device \(device) has \(bytes) bytes but \(filesystem.rawValue) needs at least \(minimum); nothing was written; give the volume more space or request ext4"
        case .markerMissing(let device, let filesystem):
            return "device \(device) has an \(filesystem.rawValue) filesystem made elsewhere (no share-manager marker); it would be exported at its root, so Ganesha's client recovery records cannot live on it outside the export; give --recovery-dir on storage that moves with the volume (or on node-local storage, accepting that clients lose lock reclaim after a node failover), or copy the data to a new volume"
        case .markerUnreadable(let device, let reason):
            return "device \(device) has a share-manager marker that cannot be read (\(reason)); nothing was changed; inspect /\(VolumeMarker.folderName)/\(VolumeMarker.fileName) on a read-only mount"
        case .pendingHoldsData(let device, let found):
            return "device \(device) is labelled \(Formatter.pendingLabel) (a share-manager format that never finished) but holds more than mkfs writes (\(found)); nothing was changed; share-manager never formats a filesystem that holds data: give --recovery-dir to serve it as it is, exported at its root, or inspect it on a read-only mount"
        case .legacyMarkerUntrusted(let device, let found):
            return "device \(device) has a share-manager marker but not share-manager's label \(Formatter.volumeLabel), and its root holds more than share-manager's layout (\(found)), as an adopted volume whose NFS clients wrote the marker would; nothing was changed; if it is adopted, give --recovery-dir as before; if share-manager formatted it, label it by hand (e2label DEVICE \(Formatter.volumeLabel), or xfs_admin -L \(Formatter.volumeLabel) DEVICE)"
        case .otherVolume(let device, let found, let expected):
            return "device \(device) belongs to volume \(found), not \(expected); share-manager refused to export another volume's data; check which device the volume \(expected) was given"
        case .layoutTooNew(let device, let found, let supported):
            return "device \(device) has layout version \(found) but this share-manager knows versions up to \(supported); nothing was changed; run a newer share-manager"
        case .filesystemErrors(let device, let status, let detail):
            let changed = status & 1 != 0 ? "it already corrected some errors on the device" : "it corrected nothing, though it may have replayed the journal"
            return "e2fsck -p left errors on \(device) (exit status \(status): \(detail)); \(changed); share-manager refused to mount it; repair it by hand (e2fsck -f) and restart"
        case .unmountBusy(let mountPoint, let detail):
            return "\(mountPoint) stayed busy and could not be unmounted (\(detail)); stop what uses it (fuser -vm \(mountPoint) lists it) and unmount it by hand: umount \(mountPoint)"
        case .mountFailed(let device, let mountPoint, let options, let errno):
            let with = options.isEmpty ? "" : " with options \(options)"
            return "mount of \(device) at \(mountPoint)\(with) failed: \(errno); the kernel log (dmesg) says why; the volume is left unmounted"
        case .deviceShrank(let device, let deviceBytes, let filesystemBytes):
            return "device \(device) has \(deviceBytes) bytes but its filesystem spans \(filesystemBytes); the device was shrunk under the filesystem, so share-manager refused to touch it; give the device back its size (filesystems cannot be shrunk in place)"
        case .readOnlyNeedsFormat(let device, let found):
            return "device \(device) is \(found) and needs formatting, but the share is read-only and share-manager writes nothing to a read-only share; start it read-write once, or give a device that already holds the data"
        case .recoveryDirUnusable(let path, let reason):
            return "recovery dir \(path) cannot be used: \(reason); give an absolute path on storage that moves with the volume, outside the mount point"
        case .invalidMkfsOption(let option, let filesystem, let allowed):
            return "mkfs option '\(option)' is not accepted for \(filesystem.rawValue) (only options that cannot pick another device, force, skip work, set the label or change error handling are); allowed: \(allowed); fix the mkfs options"
        case .invalidMountOption(let option, let filesystem, let allowed):
            return "mount option '\(option)' is not accepted for \(filesystem.rawValue)\(MountOptions.hint(for: option)); allowed: \(allowed); fix the mount options"
        case .toolMissing(let tool):
            return "the tool \(tool) is not installed (searched PATH, /usr/sbin and /sbin); install it in the image"
        case .toolFailed(let command, let status, let detail):
            return "\(command) failed with exit status \(status): \(detail); see the log above for what share-manager was doing"
        case .toolNotStarted(let command, let failure):
            return "\(command) failed with exit status -1: cannot start \(failure.executable): \(failure.reason); see the log above for what share-manager was doing"
        case .systemCall(let call, let path, let errno):
            return "\(call) \(path) failed: \(errno); check the path and its permissions"
        }
    }
}
