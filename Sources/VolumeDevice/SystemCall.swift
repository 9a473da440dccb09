import FoundationEssentials
import Glibc

/// Thin wrappers over the few system calls the module makes: each retries EINTR and turns a
/// failure into a `DeviceError` that names the call and the path.
enum SystemCall {
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(DeviceError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw .systemCall("open", path: path, errno: errno) }
        }
    }

    /// Reads exactly `count` bytes at `offset`, or fewer at end of file.
    static func pread(_ fd: Int32, count: Int, offset: Int64, path: String) throws(DeviceError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes {
                Glibc.pread(fd, $0.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw .systemCall("read", path: path, errno: errno)
            }
            filled += got
        }
        return Array(buffer.prefix(filled))
    }

    static func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(DeviceError) {
        var written = 0
        while written < bytes.count {
            let done = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if done < 0 {
                if errno == EINTR { continue }
                throw .systemCall("write", path: path, errno: errno)
            }
            written += done
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(DeviceError) {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw .systemCall("fsync", path: path, errno: errno) }
        }
    }

    /// fsync of a folder, which makes the creation or renaming of its entries durable.
    static func fsyncFolder(_ path: String) throws(DeviceError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Size in bytes of a regular file or a block device (where st_size is 0).
    static func size(of path: String) throws(DeviceError) -> Int64 {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw .systemCall("lseek", path: path, errno: errno) }
        return Int64(end)
    }

    /// The whole of a small file; /proc and /sys files report size 0, so read to the end.
    static func readFile(_ path: String) throws(DeviceError) -> String {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var bytes: [UInt8] = []
        while true {
            let chunk = try pread(fd, count: 65536, offset: Int64(bytes.count), path: path)
            bytes += chunk
            if chunk.count < 65536 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `mkdir -p`: creates `path` and any missing parent with `mode`; existing ones are left as they are.
    static func makeFolders(_ path: String, mode: mode_t) throws(DeviceError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, mode) != 0 && errno != EEXIST { throw .systemCall("mkdir", path: partial, errno: errno) }
        }
    }

    /// Entry names of a folder, or nil when it does not exist.
    static func folderEntries(_ path: String) -> [String]? {
        try? FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}
