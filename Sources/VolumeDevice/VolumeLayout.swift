import FoundationEssentials
import Glibc
import LinuxSupport
import SystemPackage

/// The folders of a share-manager filesystem (DESIGN §3): the marker folder with the
/// recovery store, and the export root. `lost+found` is left to mkfs.
enum VolumeLayout {
    static let dataFolder = "data"
    static let recoveryFolder = "recovery"

    static func exportPath(root: String) -> String { root + "/" + dataFolder }
    static func recoveryRoot(root: String) -> String {
        root + "/" + VolumeMarker.folderName + "/" + recoveryFolder
    }

    /// Creates whatever folder is missing. Modes are set only on creation, so an operator's
    /// later chmod or chown of the export root survives restarts (Longhorn resets it on every
    /// start, longhorn/longhorn#11817).
    ///
    /// The export root is 0777: without NFS squashing, Pods that run as arbitrary non-root
    /// uids could not create anything in a root-owned 0755 folder, and Kubernetes does not
    /// apply fsGroup to RWX volumes (longhorn/longhorn#2418). Each file a client creates
    /// still carries that client's uid and mode. The marker folder is 0700: clients never see
    /// it (it is outside the export), and only Ganesha (root) writes recovery records.
    static func ensure(root: String) throws(DeviceError) {
        let marker = root + "/" + VolumeMarker.folderName
        for (folder, mode) in [(marker, mode_t(0o700)), (recoveryRoot(root: root), 0o700), (exportPath(root: root), 0o777)] {
            try makeFolder(folder, mode: mode)
            // A symlink in its place (a corrupted disk, another tool) would send recovery
            // records and write probes to a folder of the host.
            var info = stat()
            guard lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw .systemCall("mkdir", path: folder, errno: .notDirectory)
            }
        }
        try SystemCall.fsyncFolder(marker)
        try SystemCall.fsyncFolder(root)
    }

    static func makeFolder(_ path: String, mode: mode_t) throws(DeviceError) {
        if mkdir(path, mode) != 0 {
            if errno == EEXIST { return }
            throw .systemCall("mkdir", path: path, errno: .last)
        }
        // mkdir's mode is filtered through the umask; the layout must not depend on it.
        guard chmod(path, mode) == 0 else { throw .systemCall("chmod", path: path, errno: .last) }
    }
}
