import FoundationEssentials
import Glibc
import Logging

/// Whether a mounted volume still does what its share promises.
public enum FilesystemHealth: Sendable, Equatable {
    case healthy
    /// The filesystem stopped taking writes (or is gone); `reason` is one line for the operator.
    case readOnly(reason: String)
}

/// Finds a filesystem that went read-only under a read-write share. Neither statvfs nor the
/// `rw` in mountinfo tells: ext4 after an error shows `rw … emergency_ro`, and a shut-down
/// xfs shows nothing at all. Only a real write, made durable, tells for sure.
public struct FilesystemProbe: Sendable {
    static let probeName = ".share-manager-probe"
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Reads mountinfo, and for a read-write share writes, fsyncs and removes a small file on
    /// the exported filesystem. A read-only share is healthy while it is mounted. Blocks while
    /// the write runs: a failed ext4 or a shut-down xfs answers at once, but a device that
    /// stops answering altogether blocks it, so callers bound how long they wait.
    public func check(_ volume: PreparedVolume, readOnlyShare: Bool) -> FilesystemHealth {
        let name = "\(volume.filesystem.rawValue) on \(volume.devicePath)"
        guard let entry = (try? MountTable.current())?.entry(at: volume.mountPoint) else {
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
        do throws(DeviceError) {
            try writeProbe(at: Self.probePath(volume))
        } catch {
            let detail: String
            if case .systemCall(_, _, let errno) = error {
                detail = "write probe failed: \(String(cString: strerror(errno)))"
            } else {
                detail = error.description
            }
            return report(volume, name + (state.isEmpty ? " stopped taking writes" : state) + ": " + detail)
        }
        if !state.isEmpty { return report(volume, name + state + ", although a write probe succeeded") }
        return .healthy
    }

    /// In the marker folder of our own layout, outside the export; at the root of an adopted
    /// filesystem, which is the exported one (the recovery dir may live elsewhere).
    static func probePath(_ volume: PreparedVolume) -> String {
        volume.adopted ? volume.mountPoint + "/" + probeName : volume.mountPoint + "/" + VolumeMarker.folderName + "/" + probeName
    }

    private func writeProbe(at path: String) throws(DeviceError) {
        // An adopted filesystem's root is the export: any NFS client can put a symlink here,
        // and root must not write through it (to /etc/shadow, say). Remove, never follow.
        unlink(path)
        let fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
        do throws(DeviceError) {
            try SystemCall.write(fd, Array("share-manager write probe\n".utf8), path: path)
            try SystemCall.fsync(fd, path: path)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        close(fd)
        guard unlink(path) == 0 else { throw .systemCall("unlink", path: path, errno: errno) }
    }

    private func report(_ volume: PreparedVolume, _ reason: String) -> FilesystemHealth {
        logger.error("volume is not writable", metadata: ["mountPoint": "\(volume.mountPoint)", "reason": "\(reason)"])
        return .readOnly(reason: reason)
    }
}
