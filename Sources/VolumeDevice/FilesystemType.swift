/// The filesystems share-manager formats and mounts.
public enum FilesystemType: String, Sendable, CaseIterable {
    case ext4
    case xfs
}

extension FilesystemType {
    /// mkfs.xfs refuses anything under 300 MiB; checked first so the error says so plainly.
    var minimumBytes: Int64 {
        switch self {
        case .ext4: 0
        case .xfs: 300 * 1024 * 1024
        }
    }

    var mkfsCommand: (tool: String, arguments: [String]) {
        switch self {
        // No reserved blocks: the whole volume belongs to the NFS clients, and root-only
        // reserve would only confuse their free-space numbers.
        case .ext4: ("mkfs.ext4", ["-q", "-F", "-m", "0"])
        case .xfs: ("mkfs.xfs", ["-q", "-f"])
        }
    }

    /// Options that write nothing at all, not even a journal or log replay.
    var peekOptions: String {
        switch self {
        case .ext4: "ro,noload"
        case .xfs: "ro,norecovery"
        }
    }
}
