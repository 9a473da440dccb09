import FoundationEssentials
import Glibc
import Logging
import SystemPackage

/// Whether a mounted volume still does what its share promises.
public enum FilesystemHealth: Sendable, Equatable {
    case healthy
    /// Writable, but out of blocks or inodes (or quota): clients' writes fail with ENOSPC or
    /// EDQUOT while reads and deletes work. Deleting files or growing the volume cures it; a
    /// restart frees nothing, so this is never a liveness failure.
    case full(VolumeSpace.Full)
    /// The filesystem stopped taking writes (or is gone); `reason` is one line for the operator.
    case readOnly(reason: String)

    public var isReadOnly: Bool {
        if case .readOnly = self { true } else { false }
    }
}

/// Finds a filesystem that went read-only under a read-write share. Neither statvfs nor the
/// `rw` in mountinfo tells: ext4 after an error shows `rw … emergency_ro`, and a shut-down
/// xfs shows nothing at all. Only a real write, made durable, tells for sure.
public struct FilesystemProbe: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Reads mountinfo, and for a read-write share writes and fsyncs a small nameless file on
    /// the exported filesystem. A read-only share is healthy while it is mounted; a volume
    /// out of blocks, inodes or quota is `.full`, which is no failure. Blocks while
    /// the write runs: a failed ext4 or a shut-down xfs answers at once, but a device that
    /// stops answering altogether blocks it, so callers bound how long they wait.
    public func check(_ volume: PreparedVolume, readOnlyShare: Bool) -> FilesystemHealth {
        let name = "\(volume.filesystem.rawValue) on \(volume.devicePath)"
        let table: MountTable
        do throws(DeviceError) { table = try MountTable.current() } catch {
            return report(volume, "\(name) cannot be checked: \(error)")
        }
        guard let entry = table.entry(at: volume.mountPoint) else {
            return report(volume, "\(name) is no longer mounted at \(volume.mountPoint)")
        }
        if readOnlyShare { return .healthy }
        let options = Set(entry.options)
        var state = ""
        if options.contains("emergency_ro") {
            state = " went read-only after an error (errors=remount-ro)"
        } else if options.contains("shutdown") {
            state = " was shut down after an error"
        } else if options.contains("ro") {
            state = " is mounted read-only"
        }
        var outOfSpace: Int32?
        do throws(DeviceError) {
            try writeProbe(in: Self.probeDirectory(volume))
        } catch {
            let detail: String
            if case .systemCall(_, _, let errno) = error {
                // Out of space is not out of order: only a filesystem that also says it
                // failed counts as not writable.
                if state.isEmpty, errno == .noSpace || errno == .diskQuotaExceeded { outOfSpace = errno.rawValue }
                detail = "write probe failed: \(errno)"
            } else {
                detail = error.description
            }
            if outOfSpace == nil { return report(volume, name + (state.isEmpty ? " stopped taking writes" : state) + ": " + detail) }
        }
        if !state.isEmpty { return report(volume, name + state + ", although a write probe succeeded") }
        // Measured where clients write: a project quota on the export shows in its statvfs.
        let space = VolumeSpace.measure(volume.exportPath)
        if let full = space?.full(probeError: outOfSpace) ?? outOfSpace.map({ VolumeSpace.Full(resources: [.blocks], error: $0) }) {
            return .full(full)
        }
        return .healthy
    }

    /// The marker folder of our own layout, outside the export; the root of an adopted
    /// filesystem, which is the exported one (the recovery dir may live elsewhere).
    static func probeDirectory(_ volume: PreparedVolume) -> String {
        volume.adopted ? volume.mountPoint : volume.mountPoint + "/" + VolumeMarker.folderName
    }

    /// O_TMPFILE: Linux's unnamed file in `directory`, gone at close. With no name there is
    /// nothing for an NFS client to collide with at an adopted root: a client's file of the
    /// probe's old name was removed every 5 s, a folder of that name made the volume look
    /// unhealthy, and a symlink there had to be guarded against. ext4 and xfs support it;
    /// a filesystem gone read-only refuses the open (EROFS), a shut-down xfs the write or
    /// fsync (EIO).
    private func writeProbe(in directory: String) throws(DeviceError) {
        let fd = try SystemCall.open(directory, Self.unnamedFile | O_WRONLY | O_NOFOLLOW, mode: 0o600)
        defer { close(fd) }
        try SystemCall.write(fd, Array("share-manager write probe\n".utf8), path: directory)
        try SystemCall.fsync(fd, path: directory)
    }

    /// O_TMPFILE is a macro over two flags that Swift does not import: __O_TMPFILE
    /// (0o20000000 on every Linux architecture but alpha, parisc and sparc) and O_DIRECTORY.
    static let unnamedFile: Int32 = 0o20000000 | O_DIRECTORY

    private func report(_ volume: PreparedVolume, _ reason: String) -> FilesystemHealth {
        logger.error("volume is not writable", metadata: ["mountPoint": "\(volume.mountPoint)", "reason": "\(reason)"])
        return .readOnly(reason: reason)
    }
}
