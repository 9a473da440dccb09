/// Reads an existing filesystem without mounting it: `debugfs -c` and `xfs_db -r` open the
/// device read-only. A mount, even `ro,noload`, lets the kernel record an error it meets in
/// the superblock (the loop device of an image is writable), and nothing may change a device
/// before share-manager has decided whose it is.
struct FilesystemPeek: Sendable {
    /// One directory entry; `kind` is what the directory says, not what the name suggests.
    struct Entry: Equatable, Sendable {
        enum Kind: Equatable, Sendable {
            case directory
            case regular(bytes: Int64?)
            /// A symlink, FIFO, device, socket, or a line of the tool's output that did not parse
            /// (a name with a line break).
            case other(String)
        }

        let name: String
        let kind: Kind
    }

    let runner: ToolRunner
    let device: String
    /// The device as the operator named it, for errors.
    let label: String
    let filesystem: FilesystemType

    /// The entries of the folder at `path` (an absolute path inside the filesystem), without
    /// `.` and `..`; nil when there is no such folder.
    func entries(of path: String) throws(DeviceError) -> [Entry]? {
        switch filesystem {
        case .ext4: try ext4Entries(of: path)
        case .xfs: try xfsEntries(of: path)
        }
    }

    /// The marker at the filesystem's root, or nil when there is none. Anything but a small
    /// regular file of valid JSON is `markerUnreadable`.
    func marker() throws(DeviceError) -> VolumeMarker? {
        let folder = "/" + VolumeMarker.folderName
        guard let found = try entries(of: folder)?.first(where: { $0.name == VolumeMarker.fileName }) else { return nil }
        let path = folder + "/" + VolumeMarker.fileName
        guard case .regular(let listed) = found.kind else { throw .markerUnreadable(device: label, reason: "it is not a regular file") }
        let bytes: [UInt8]
        switch filesystem {
        case .ext4:
            try refuseOversized(listed)
            bytes = try ext4Contents(of: path)
        case .xfs:
            let size = try xfsSize(of: path)
            try refuseOversized(size.bytes)
            bytes = try xfsContents(of: path, bytes: Int(size.bytes ?? 0), blockSize: max(size.blockSize, 512))
        }
        return try VolumeMarker.decode(bytes, device: label)
    }

    /// A name from the filesystem as it may appear in a log line or an error: control
    /// characters replaced, at most 64 characters.
    static func shown(_ name: String) -> String {
        let scalars = name.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }
        return String(scalars) + (name.unicodeScalars.count > 64 ? "…" : "")
    }

    private func refuseOversized(_ bytes: Int64?) throws(DeviceError) {
        guard let bytes, bytes <= Int64(VolumeMarker.maximumBytes) else {
            let size = bytes.map { "\($0) bytes" } ?? "an unknown size"
            throw .markerUnreadable(device: label, reason: "it has \(size), more than a marker ever has (\(VolumeMarker.maximumBytes))")
        }
    }
}
