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
