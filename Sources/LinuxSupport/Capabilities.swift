import Glibc
import SystemPackage

/// The capabilities this process holds, read from `/proc/self/status` (`CapEff`): what
/// capget(2) returns, without a libcap to link.
public enum Capabilities {
    /// The ones share-manager and its children cannot do without (docs/security.md).
    public static let required: [(name: String, bit: Int, why: String)] = [
        ("CAP_SYS_ADMIN", 21, "mount and losetup"),
        ("CAP_DAC_READ_SEARCH", 2, "Ganesha opens files by handle"),
    ]

    /// nil when /proc cannot be read (then nothing is claimed missing).
    public static func effective() -> UInt64? {
        guard let status = try? SystemCalls<SystemCallError>.readFile("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }) else { return nil }
        return UInt64(line.dropFirst("CapEff:".count).trimmed, radix: 16)
    }

    /// The required capabilities `mask` lacks, each with what needs it.
    public static func missing(from mask: UInt64?) -> [(name: String, why: String)] {
        guard let mask else { return [] }
        return required.filter { mask & (1 << UInt64($0.bit)) == 0 }.map { ($0.name, $0.why) }
    }
}

/// Whether a TCP port can be listened on, asked of the kernel by binding it for a moment.
public enum TCPPort {
    /// nil when `host:port` could be bound now (with SO_REUSEADDR, as Ganesha binds it, so a
    /// connection of an earlier run in TIME_WAIT does not count), else the errno (`EADDRINUSE`
    /// when another socket listens there). A host that is not a numeric address is not judged.
    public static func bindError(host: String, port: UInt16) -> Errno? {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
        } else {
            return nil
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return Errno.last }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = family == AF_INET
            ? withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            : withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        return bound == 0 ? nil : Errno.last
    }
}
