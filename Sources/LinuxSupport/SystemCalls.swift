import Glibc
import SystemPackage

/// The file calls the libraries make, each retrying EINTR and throwing `Failure` that names
/// the call and the path. Descriptors are close-on-exec, so none leaks into a child.
public enum SystemCalls<Failure: SystemCallFailure> {
    private static func failed(_ call: String, _ path: String, _ errno: Errno) -> Failure {
        Failure(SystemCallError(call, path: path, errno: errno))
    }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(Failure) -> Int32 {
        do {
            return try retryingInterrupts { Glibc.open(path, flags | O_CLOEXEC, mode) }
        } catch { throw failed("open", path, error) }
    }

    /// Reads exactly `count` bytes at `offset`, or fewer at end of file.
    public static func pread(_ fd: Int32, count: Int, offset: Int64, path: String) throws(Failure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got: Int
            do {
                got = try retryingInterrupts {
                    buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled)) }
                }
            } catch { throw failed("read", path, error) }
            if got == 0 { break }
            filled += got
        }
        return Array(buffer.prefix(filled))
    }

    public static func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(Failure) {
        var written = 0
        while written < bytes.count {
            do {
                written += try retryingInterrupts {
                    bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
                }
            } catch { throw failed("write", path, error) }
        }
    }

    public static func fsync(_ fd: Int32, path: String) throws(Failure) {
        do { _ = try retryingInterrupts { Glibc.fsync(fd) } } catch { throw failed("fsync", path, error) }
    }

    /// fsync of a folder, which makes the creation or renaming of its entries durable.
    public static func fsyncFolder(_ path: String) throws(Failure) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Size in bytes of a regular file or a block device (where st_size is 0).
    public static func size(of path: String) throws(Failure) -> Int64 {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw failed("lseek", path, .last) }
        return Int64(end)
    }

    /// The whole of a small file: the one reader of /proc and /sys, whose files report size
    /// 0, so it reads to the end.
    public static func readFile(_ path: String) throws(Failure) -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// The whole of a small file, as bytes.
    public static func readBytes(_ path: String) throws(Failure) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var bytes: [UInt8] = []
        while true {
            let chunk = try pread(fd, count: 65536, offset: Int64(bytes.count), path: path)
            bytes += chunk
            if chunk.count < 65536 { break }
        }
        return bytes
    }

    /// `mkdir -p`: creates `path` and any missing parent with `mode`; existing ones are left as they are.
    public static func makeFolders(_ path: String, mode: mode_t) throws(Failure) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, mode) != 0 && errno != EEXIST { throw failed("mkdir", partial, .last) }
        }
    }

    /// Entry names of a folder, sorted, without `.` and `..`; nil when it cannot be listed
    /// (absence is the answer callers want: no holders, no loop devices).
    public static func folderEntries(_ path: String) -> [String]? {
        folderEntryBytes(path)?.map { String(decoding: $0, as: UTF8.self) }.sorted()
    }

    /// Entry names as the kernel has them (bytes: a name written by someone else need not be
    /// UTF-8), in directory order, without `.` and `..`; nil when the folder cannot be listed.
    public static func folderEntryBytes(_ path: String) -> [[UInt8]]? {
        guard let folder = opendir(path) else { return nil }
        defer { closedir(folder) }
        var names: [[UInt8]] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8) && name != Array("..".utf8) { names.append(name) }
        }
        return names
    }
}
