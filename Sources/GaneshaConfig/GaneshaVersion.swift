/// The NFS-Ganesha release a config is rendered for, read from `ganesha.nfsd -v`.
///
/// The templates differ between releases only where a release refuses to start without a
/// setting another release does not know (see `knowsIoFlusherOption`).
public struct GaneshaVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Debian bookworm's and trixie's releases, the two we test against.
    public static let bookworm = GaneshaVersion(major: 4, minor: 3)
    public static let trixie = GaneshaVersion(major: 6, minor: 5)

    /// 6.0 made a failed `PR_SET_IO_FLUSHER` (EPERM without CAP_SYS_RESOURCE) fatal; 6.1 added
    /// `NFS_CORE_PARAM { Allow_Set_Io_Flusher_Fail }` to carry on; 4.x and 5.x warn that the
    /// parameter is unknown (checked against Ganesha's V4.3, V6.0 and V6.1 sources).
    public var knowsIoFlusherOption: Bool { self >= GaneshaVersion(major: 6, minor: 1) }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: GaneshaVersion, rhs: GaneshaVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// Reads the release from the output of `ganesha.nfsd -v`: a line
    /// `NFS-Ganesha Release = V<major>[.<minor>][<anything>]` (a development build adds
    /// more lines, and names like `V6-dev.20` count as 6.0). That output is another
    /// program's: anything else, huge numbers included, gives nil rather than a guess.
    public static func parse(versionOutput output: String) -> GaneshaVersion? {
        let marker = "NFS-Ganesha Release = "
        for line in output.split(separator: "\n", omittingEmptySubsequences: true).prefix(20) {
            guard line.hasPrefix(marker) else { continue }
            var rest = line.dropFirst(marker.count)
            if rest.first == "V" || rest.first == "v" { rest = rest.dropFirst() }
            guard let major = leadingNumber(&rest) else { return nil }
            var minor = 0
            if rest.first == "." {
                rest = rest.dropFirst()
                guard let parsed = leadingNumber(&rest) else { return nil }
                minor = parsed
            }
            return GaneshaVersion(major: major, minor: minor)
        }
        return nil
    }

    /// 1 to 3 ASCII digits at the start of `text`, consumed; nil when there are none or more.
    private static func leadingNumber(_ text: inout Substring) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard (1...3).contains(digits.count), let value = Int(digits) else { return nil }
        text = text.dropFirst(digits.count)
        return value
    }
}
