import FoundationEssentials
import Glibc
import LinuxSupport
import SystemPackage

/// Where a volume may be mounted. A mount hides what was in its folder and puts whatever
/// NFS clients write at that path on the host, so the mount point must be an empty folder
/// of its own: not a system directory or a parent of one, not reached through a symlink,
/// and apart from share-manager's other folders. docs/operations.md lists the rules.
public enum MountPointRules {
    /// Nothing is mounted at, inside or over these: the host's programs, libraries and
    /// configuration, its boot files, the kernel's filesystems, root's home and the spools
    /// cron and at read. Inside one, even an empty folder such as /etc/cron.d would run
    /// what NFS clients write there.
    public static let systemTrees = [
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/sbin", "/sys", "/usr", "/var/spool",
    ]
    /// Nothing is mounted at or over these, which the host uses as they are; their
    /// subfolders are where volumes go (/mnt/NAME, /var/lib/kubelet/pods/..., /tmp/...).
    public static let systemFolders = [
        "/home", "/media", "/mnt", "/opt", "/run", "/srv", "/tmp", "/var", "/var/cache", "/var/lib", "/var/lib/kubelet",
        "/var/log", "/var/run", "/var/tmp",
    ]

    /// Why `path` (absolute and normalised) is no place for the volume, or nil. `others` are
    /// the instance's other folders (flag name, path), which must neither contain the mount
    /// point nor lie inside it. A folder that is a mount point now is not judged by its
    /// content: `VolumePreparer.prepare` first releases a leftover mount of this volume, then
    /// judges the folder beneath.
    public static func problem(with path: String, overlapping others: [(flag: String, path: String)] = []) throws(DeviceError) -> String? {
        if let reason = systemProblem(path) { return reason }
        if let reason = try symlinkProblem(path) { return reason }
        for other in others {
            if let reason = overlap(path, other) { return reason }
        }
        return try contentProblem(path)
    }

    static func systemProblem(_ path: String) -> String? {
        let advice = "choose an empty folder of its own elsewhere (the default is /export/<volume>)"
        if let tree = systemTrees.first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            let relation = path == tree ? "is" : "lies inside"
            return "it \(relation) the system directory \(tree), whose files the host runs or reads; \(advice)"
        }
        if systemFolders.contains(path) {
            return "it is the system directory \(path), which the host uses as it is; \(advice)"
        }
        if let child = (systemTrees + systemFolders).first(where: { path == "/" || $0.hasPrefix(path + "/") }) {
            return "it is a parent of the system directory \(child), which a mount there would hide; \(advice)"
        }
        return nil
    }

    /// mount(2) follows every symlink on the way, and whoever can change a link chooses
    /// where the volume lands.
    static func symlinkProblem(_ path: String) throws(DeviceError) -> String? {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            guard lstat(prefix, &info) == 0 else {
                if errno == ENOENT { return nil }  // the rest is created as real folders
                throw .systemCall("lstat", path: prefix, errno: .last)
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: prefix)) ?? "?"
                return "it is reached through the symbolic link \(prefix) (to \(target)); give the real path of an empty folder"
            case S_IFDIR: continue
            default:
                return prefix == path ? nil : "\(prefix) on its way is not a folder; give the path of an empty folder"
            }
        }
        return nil
    }

    static func overlap(_ mountPoint: String, _ other: (flag: String, path: String)) -> String? {
        for candidate in Set([other.path, resolved(other.path)]) {
            let shown = "--\(other.flag) \(other.path)"
            if candidate == mountPoint {
                return "it is the same folder as \(shown); give them folders apart"
            }
            if candidate.hasPrefix(mountPoint + "/") {
                return "it contains \(shown), which the mount would hide and NFS clients could reach; give them folders apart"
            }
            if mountPoint.hasPrefix(candidate + "/") {
                return "it lies inside \(shown), where share-manager keeps its own files; give them folders apart"
            }
        }
        return nil
    }

    /// `path` with symlinks resolved as far as it exists; the rest appended as given.
    static func resolved(_ path: String) -> String {
        var existing = path
        var rest: [Substring] = []
        while existing != "/" {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.reversed().joined(separator: "/")
            }
            let parts = existing.split(separator: "/")
            rest.append(parts.last ?? "")
            existing = "/" + parts.dropLast().joined(separator: "/")
        }
        return path
    }

    static func contentProblem(_ path: String) throws(DeviceError) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }  // created as an empty folder
            throw .systemCall("lstat", path: path, errno: .last)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            return "it exists and is not a folder; give the path of an empty folder"
        }
        if try MountTable.current().isMountPoint(path) { return nil }
        guard let entries = SystemCall.folderEntries(path) else { return "the folder cannot be listed; give an empty folder share-manager can read" }
        guard entries.isEmpty else {
            return "the folder is not empty (it holds \(entries.count == 1 ? "1 entry" : "\(entries.count) entries")), and the mount would hide what it holds; give an empty folder"
        }
        return nil
    }
}
