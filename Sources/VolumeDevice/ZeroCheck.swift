import FoundationEssentials
import Glibc

/// Whether the ends of a device hold only zero bytes. Random bytes carry no signature, and
/// encrypted data looks exactly like that: "blkid found nothing" is not "blank".
enum ZeroCheck {
    /// Partition tables, superblocks and LUKS headers all sit within a MiB of either end.
    static let window = 1 << 20

    /// Checks the first and last `window` bytes, or the whole device when it is smaller than
    /// two windows.
    static func edgesAreZero(_ path: String, window: Int = window) throws(DeviceError) -> Bool {
        let size = try SystemCall.size(of: path)
        let fd = try SystemCall.open(path, O_RDONLY)
        defer { close(fd) }
        let span = Int64(window)
        let ranges: [(offset: Int64, count: Int)]
        if size <= 2 * span {
            ranges = [(offset: 0, count: Int(size))]
        } else {
            ranges = [(offset: 0, count: window), (offset: size - span, count: window)]
        }
        for range in ranges {
            let bytes = try SystemCall.pread(fd, count: range.count, offset: range.offset, path: path)
            if bytes.count < range.count || bytes.contains(where: { $0 != 0 }) { return false }
        }
        return true
    }
}
