import FoundationEssentials
import Glibc
import LinuxSupport

/// Loop-device requests put to the kernel directly as losetup does, without running losetup:
/// the start path asks three times which loop devices hold the image, the size poll
/// refreshes the capacity every 5 s, and a detach must check and act on one descriptor.
enum LoopIoctl {
    /// `LOOP_CLR_FD`, `LOOP_SET_STATUS64`, `LOOP_GET_STATUS64` and `LOOP_SET_CAPACITY` from linux/loop.h.
    private static let clearFD: UInt = 0x4C01
    private static let setStatus64: UInt = 0x4C04
    private static let getStatus64: UInt = 0x4C05
    private static let setCapacity: UInt = 0x4C07
    /// sizeof(struct loop_info64): five u64, four u32, 64 + 64 + 32 bytes of names and key, two u64.
    private static let infoSize = 232

    /// The backing file's (device, inode): it names the file even when it was attached from
    /// another mount namespace, where sysfs's path means nothing here. Nil when the loop
    /// device is unbound or cannot be opened (a container may lack its node in /dev).
    static func backing(of loopDevice: String) -> (device: UInt64, inode: UInt64)? {
        let fd = Glibc.open(loopDevice, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return backing(fd)
    }

    /// Detaches `loopDevice` only while `image` is behind it, asked and done on one open
    /// descriptor: while it is open the kernel neither frees the number nor binds it anew, so
    /// a device freed since (and now another volume's) is left alone, which `losetup -d` by
    /// name cannot promise. The kernel defers the detach to the last close when others hold
    /// the device open.
    static func detach(_ loopDevice: String, ifBacking image: FileIdentity) throws(DeviceError) -> LoopDetach {
        let fd: Int32
        do {
            fd = try SystemCall.open(loopDevice, O_RDONLY | O_NONBLOCK)
        } catch .systemCall(_, _, let errno) where errno == .noSuchFileOrDirectory || errno == .noSuchAddressOrDevice {
            return .notBacking
        }
        defer { close(fd) }
        guard let bound = backing(fd), bound.device == image.device, bound.inode == image.inode else { return .notBacking }
        do {
            _ = try retryingInterrupts { ioctl(fd, clearFD, 0) }
        } catch {
            // Another detach of the same device got there first.
            if error == .noSuchAddressOrDevice { return .notBacking }
            throw .systemCall("ioctl LOOP_CLR_FD", path: loopDevice, errno: error)
        }
        return .detached
    }

    private static func backing(_ fd: Int32) -> (device: UInt64, inode: UInt64)? {
        var info = [UInt8](repeating: 0, count: infoSize)
        let status = info.withUnsafeMutableBytes { ioctl(fd, getStatus64, $0.baseAddress!) }
        guard status == 0 else { return nil }
        // lo_device and lo_inode are the first two u64 fields, in host byte order.
        return info.withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    /// Sets `LO_FLAGS_AUTOCLEAR`: the kernel detaches the loop device at its last close, so
    /// once the filesystem is mounted, any unmount (ours, an operator's after a SIGKILL, the
    /// end of a container's mount namespace) frees it, even when the image was replaced
    /// meanwhile. `fd` must stay open until the mount holds the device, or its close
    /// detaches it at once. The other fields are written back as read.
    static func setAutoclear(_ fd: Int32, path: String) throws(DeviceError) {
        var info = [UInt8](repeating: 0, count: infoSize)
        guard info.withUnsafeMutableBytes({ ioctl(fd, getStatus64, $0.baseAddress!) }) == 0 else {
            throw .systemCall("ioctl LOOP_GET_STATUS64", path: path, errno: .last)
        }
        // lo_flags is the u32 after five u64 and three u32; LO_FLAGS_AUTOCLEAR is 4.
        let flags = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 52, as: UInt32.self) } | 4
        info.withUnsafeMutableBytes { $0.storeBytes(of: flags, toByteOffset: 52, as: UInt32.self) }
        do {
            _ = try retryingInterrupts { info.withUnsafeMutableBytes { ioctl(fd, setStatus64, $0.baseAddress!) } }
        } catch {
            throw .systemCall("ioctl LOOP_SET_STATUS64", path: path, errno: error)
        }
    }

    /// Makes the loop device take its image's current size (`losetup -c`): it keeps the size
    /// the image had when attached until asked.
    static func refreshCapacity(of loopDevice: String) throws(DeviceError) {
        let fd = try SystemCall.open(loopDevice, O_RDONLY)
        defer { close(fd) }
        do {
            _ = try retryingInterrupts { ioctl(fd, setCapacity, 0) }
        } catch {
            throw .systemCall("ioctl LOOP_SET_CAPACITY", path: loopDevice, errno: error)
        }
    }
}

/// What `LoopIoctl.detach` found.
public enum LoopDetach: Sendable, Equatable {
    case detached
    /// Cleared, but someone else still had the device open 2 s later: the kernel detaches it
    /// at their last close.
    case deferred
    /// The device is unbound or holds another file: it was left alone.
    case notBacking
}
