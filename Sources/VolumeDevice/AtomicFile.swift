import Glibc
import LinuxSupport
import SystemPackage

/// Files other programs read while we may rewrite them (Ganesha's config, the bus config):
/// a reader sees the old file or the new one, never a torn one. No fsync: every one of them
/// is rendered again from memory before each start that reads it, so what a power loss
/// leaves is never read, and the two fsyncs cost about 15 ms of every start.
public enum AtomicFile {
    /// Temporary file beside `path` (created afresh, never through a link), renamed over `path`.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(DeviceError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = try SystemCall.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
        do throws(DeviceError) {
            try SystemCall.write(fd, Array(text.utf8), path: temporary)
            // Not left to the umask.
            guard fchmod(fd, mode) == 0 else { throw .systemCall("fchmod", path: temporary, errno: .last) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let saved = Errno.last
            unlink(temporary)
            throw .systemCall("rename", path: path, errno: saved)
        }
    }
}
