/// The NFS versions Ganesha keeps per-export and per-client I/O statistics for.
public enum NFSVersion: String, Sendable, CaseIterable {
    case v3 = "NFSv3"
    case v40 = "NFSv40"
    case v41 = "NFSv41"
    case v42 = "NFSv42"

    /// The statistics method for this version, e.g. `GetNFSv41IO`.
    var ioMethod: String { "Get\(rawValue)IO" }
}
