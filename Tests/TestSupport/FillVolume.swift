import Glibc

/// What a client fills a volume with: one file grown until not one more byte fits, or
/// empty files until not one more inode is free.
public enum VolumeFill: String, CaseIterable, Sendable {
    case blocks, inodes

    /// Fills `folder` and returns the errno that stopped it (ENOSPC or EDQUOT when full).
    /// Blocking: call it off the cooperative pool.
    public func fill(_ folder: String) -> Int32 {
        switch self {
        case .inodes:
            var index = 0
            while true {
                let fd = open("\(folder)/f\(index)", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if fd < 0 { return errno }
                close(fd)
                index += 1
            }
        case .blocks:
            let fd = open("\(folder)/big", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return errno }
            defer { close(fd) }
            var stopped: Int32 = 0
            // Down to single bytes: ext4 refuses a large write while a few blocks are left.
            for size in [65536, 4096, 1] {
                let chunk = [UInt8](repeating: 0, count: size)
                while true {
                    if chunk.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) >= 0 { continue }
                    stopped = errno
                    if stopped != EINTR { break }
                }
            }
            return stopped
        }
    }
}
