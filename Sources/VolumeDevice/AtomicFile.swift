import Glibc

/// Files other programs read while we may rewrite them (Ganesha's config, the bus config):
/// a reader, or a crash, sees the old file or the new one, never a torn one.
public enum AtomicFile {
    /// Temporary file beside `path` (created afresh, never through a link), fsync, rename
    /// over `path`, fsync of the folder.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(DeviceError) {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = try SystemCall.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
        do throws(DeviceError) {
            try SystemCall.write(fd, Array(text.utf8), path: temporary)
            // Not left to the umask.
            guard fchmod(fd, mode) == 0 else { throw .systemCall("fchmod", path: temporary, errno: errno) }
            try SystemCall.fsync(fd, path: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let saved = errno
            unlink(temporary)
            throw .systemCall("rename", path: path, errno: saved)
        }
        try SystemCall.fsyncFolder(folder.isEmpty ? "/" : folder)
    }
}
