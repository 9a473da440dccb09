import FoundationEssentials
import Glibc

/// The two loop-device questions share-manager asks often, put to the kernel directly as
/// losetup does, without running losetup: the start path asks three times which loop
/// devices hold the image, and the size poll refreshes the capacity every 5 s.
enum LoopIoctl {
    /// `LOOP_GET_STATUS64` and `LOOP_SET_CAPACITY` from linux/loop.h.
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
        var info = [UInt8](repeating: 0, count: infoSize)
        let status = info.withUnsafeMutableBytes { ioctl(fd, getStatus64, $0.baseAddress!) }
        guard status == 0 else { return nil }
        // lo_device and lo_inode are the first two u64 fields, in host byte order.
        return info.withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    /// Makes the loop device take its image's current size (`losetup -c`): it keeps the size
    /// the image had when attached until asked.
    static func refreshCapacity(of loopDevice: String) throws(DeviceError) {
        let fd = try SystemCall.open(loopDevice, O_RDONLY)
        defer { close(fd) }
        while ioctl(fd, setCapacity, 0) != 0 {
            if errno != EINTR { throw .systemCall("ioctl LOOP_SET_CAPACITY", path: loopDevice, errno: errno) }
        }
    }
}
