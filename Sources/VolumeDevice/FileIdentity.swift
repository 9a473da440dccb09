import FoundationEssentials
import Glibc

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
            throw .systemCall("stat", path: path, errno: errno)
        }
        let format = info.st_mode & S_IFMT
        let kind: Kind = format == S_IFREG ? .regular : format == S_IFBLK ? .block : .other
        return FileIdentity(kind: kind, device: UInt64(info.st_dev), inode: UInt64(info.st_ino), rdev: UInt64(info.st_rdev))
    }

    /// `major:minor` of the block device, as /proc/self/mountinfo and /sys/dev/block spell it.
    var majorMinor: String {
        // glibc's encoding of dev_t; the major()/minor() macros do not import into Swift.
        let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff))
        let minor = (rdev & 0xff) | ((rdev >> 12) & ~UInt64(0xff))
        return "\(major):\(minor)"
    }

    /// The sysfs folder of the block device.
    var sysfsPath: String { "/sys/dev/block/" + majorMinor }
}
