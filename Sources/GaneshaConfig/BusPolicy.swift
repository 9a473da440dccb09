import Glibc

/// Ganesha's D-Bus policy file, which the private bus includes: without it the bus refuses
/// Ganesha its name. Distributions put it in different places (Debian bookworm in /etc,
/// trixie under /usr/share), so it is looked for rather than assumed.
public enum GaneshaBusPolicy {
    public static let fileName = "nfs-ganesha-dbus.conf"

    /// Where to look, in the order dbus-daemon itself gives them precedence: an
    /// administrator's copy in /etc wins over the package's in /usr/share.
    public static let standardFolders = ["/etc/dbus-1/system.d", "/usr/share/dbus-1/system.d"]

    /// The first folder of `folders` that holds a regular file `fileName`; the path is
    /// validated because it is written into the bus config.
    public static func locate(in folders: [String] = standardFolders) throws(BusPolicyError) -> SafePath {
        let tried = folders.map { $0 + "/" + fileName }
        for path in tried {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            guard let safe = try? SafePath(validating: path, flag: "bus policy") else {
                throw BusPolicyError(tried: tried, unusable: path)
            }
            return safe
        }
        throw BusPolicyError(tried: tried, unusable: nil)
    }
}

/// Ganesha's D-Bus policy is missing, or sits where it cannot be named in a bus config.
public struct BusPolicyError: Error, CustomStringConvertible, Sendable, Equatable {
    public let tried: [String]
    public let unusable: String?

    public var description: String {
        if let unusable {
            return "Ganesha's D-Bus policy \(Printable.quoted(unusable)) has a path a bus config cannot hold; move the file to one of \(tried.joined(separator: ", "))"
        }
        return "Ganesha's D-Bus policy is missing (tried \(tried.joined(separator: ", "))): install the nfs-ganesha package, which ships it, or give a system bus in DBUS_SYSTEM_BUS_ADDRESS"
    }
}
