import FoundationEssentials
import Glibc
import SystemPackage
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
            throw .systemCall("open", path: device, errno: .last)
        }
        close(fd)
    }

    /// Claims `device` from the in-use check until the mount, which then holds it itself:
    /// `flock(LOCK_EX)` on its whole-disk node, the convention systemd and udev keep (udev
    /// probes nothing while it is held), so a second share-manager started at the same moment
    /// refuses before it runs any tool on the device. Only processes that see the same device
    /// node are excluded: a container that made its own node locks another inode.
    /// `autoclear` (a loop device we attached) also sets LO_FLAGS_AUTOCLEAR on the claim's
    /// descriptor, which keeps the device attached until the mount holds it.
    static func claim(_ device: String, autoclear: Bool = false) throws(DeviceError) -> ExclusiveLock {
        let node = try wholeDisk(of: device)
        switch try ExclusiveLock.take(node) {
        case .held(let holder):
            throw .deviceClaimed(device: device, node: node, holder: holder)
        case .taken(let lock):
            if autoclear, let fd = lock.fd {
                do throws(DeviceError) { try LoopIoctl.setAutoclear(fd, path: device) } catch {
                    lock.release()
                    throw error
                }
            }
            return lock
        }
    }

    /// The disk a partition is on (its node in /dev, when that names the same device), or
    /// `device` itself.
    static func wholeDisk(of device: String) throws(DeviceError) -> String {
        guard let identity = try FileIdentity.of(device), identity.kind == .block,
              FileManager.default.fileExists(atPath: identity.sysfsPath + "/partition") else { return device }
        // /sys/dev/block/8:1 links to .../block/sda/sda1: the folder above is the disk's.
        let disk = URL(fileURLWithPath: identity.sysfsPath).resolvingSymlinksInPath().deletingLastPathComponent()
        let number = (try? SystemCall.readFile(disk.path + "/dev"))?.trimmingLineBreaks
        let node = "/dev/" + disk.lastPathComponent
        guard let found = try? FileIdentity.of(node), found.kind == .block, found.majorMinor == number else { return device }
        return node
    }

    /// Throws when `path` is already a mount point.
    static func refuseIfMountPoint(_ path: String) throws(DeviceError) {
        if try MountTable.current().isMountPoint(path) { throw .mountPointInUse(path) }
    }
}
