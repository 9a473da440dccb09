import FoundationEssentials

/// The one PATH lookup for the programs share-manager starts.
public enum Executables {
    /// The first executable `name` in PATH, then in `fallbacks`, which come last and always:
    /// a container's PATH often lacks the sbin folders. nil when none is.
    public static func search(
        _ name: String, fallbacks: [String] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    ) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + fallbacks
        return folders.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
