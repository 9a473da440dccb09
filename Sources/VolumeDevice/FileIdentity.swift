import FoundationEssentials
import Glibc
import LinuxSupport
import SystemPackage

/// What `stat` says about a path: enough to tell an image from a device and to match a
/// device against the mount table and sysfs.
struct FileIdentity: Sendable, Equatable {
    enum Kind: Sendable { case regular, block, other }

    let kind: Kind
    /// The filesystem and inode holding the file: identifies an image behind any path.
    let device: UInt64
    let inode: UInt64
    /// For a block device, its own number.
    let rdev: UInt64

    /// nil when nothing exists at `path`.
    static func of(_ path: String) throws(DeviceError) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .systemCall("stat", path: path, errno: .last)
        }
        let format = info.st_mode & S_IFMT
        let kind: Kind = format == S_IFREG ? .regular : format == S_IFBLK ? .block : .other
        return FileIdentity(kind: kind, device: UInt64(info.st_dev), inode: UInt64(info.st_ino), rdev: UInt64(info.st_rdev))
    }

    /// `major:minor` of the block device, as /proc/self/mountinfo and /sys/dev/block spell it.
    var majorMinor: String {
        let (major, minor) = Self.split(rdev)
        return "\(major):\(minor)"
    }

    /// Major and minor of a dev_t, in glibc's encoding; the major()/minor() macros do not
    /// import into Swift.
    static func split(_ number: UInt64) -> (major: UInt64, minor: UInt64) {
        (((number >> 8) & 0xfff) | ((number >> 32) & ~UInt64(0xfff)), (number & 0xff) | ((number >> 12) & ~UInt64(0xff)))
    }

    /// The sysfs folder of the block device.
    var sysfsPath: String { "/sys/dev/block/" + majorMinor }
}
