import SystemPackage
import LinuxSupport
import Glibc
import GaneshaConfig

/// Directories holding files that Ganesha, the bus or share-manager read back later. Whoever
/// can write such a directory, or any directory above it, can swap a config between two
/// Ganesha starts (an `export.conf` saying `Path = "/etc"` hands the host's /etc to every
/// client). The rule is OpenSSH's StrictModes: every directory on the way is owned by root
/// and not writable by group or others, except a sticky one such as /tmp, where others may
/// add entries but cannot rename or remove ours. Symbolic links on the way must be root's
/// too, and what they point at is checked the same way.
public enum TrustedPath {
    /// What the last directory of the path must be, beyond root-owned.
    public enum Last {
        /// No access for group or others (the state dir: 0700).
        case privateDirectory
        /// Not writable by group or others (the recovery dir, the control socket's folder).
        case notWritableByOthers
    }

    /// Checks the parts of `path` that exist; what is missing, share-manager creates itself.
    public static func check(_ path: String, flag: String, last: Last) throws(ValidationError) {
        let prefixes = path.split(separator: "/").reduce(into: ["/"]) { all, part in
            all.append((all.count == 1 ? "" : all[all.count - 1]) + "/" + part)
        }
        for (index, prefix) in prefixes.enumerated() {
            let isLast = index == prefixes.count - 1
            var info = stat()
            guard lstat(prefix, &info) == 0 else {
                if errno == ENOENT { return }
                throw refuse(flag, prefix, "cannot be checked (\(Errno.last)); choose another --\(flag)")
            }
            try checkOwner(info, prefix, flag: flag)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try checkMode(info, prefix, flag: flag, last: isLast ? last : nil)
            case S_IFLNK:
                guard let resolved = realpath(prefix, nil) else {
                    throw refuse(flag, prefix, "is a symbolic link that leads nowhere (\(Errno.last)); remove it or choose another --\(flag)")
                }
                let target = String(cString: resolved)
                free(resolved)
                // realpath leaves no link in `target`, so this goes one level deep at most.
                try check(target, flag: flag, last: isLast ? last : .notWritableByOthers)
            default:
                throw refuse(flag, prefix, "is not a directory; choose another --\(flag)")
            }
        }
    }

    /// Checks `path`, creates what is missing of it (root, 0700), then checks it again: a
    /// directory someone else made in a sticky parent between the two is refused, not used.
    public static func prepare(_ path: String, flag: String, last: Last) throws(ValidationError) {
        try check(path, flag: flag, last: last)
        guard !isDirectory(path) else { return }
        var partial = ""
        for part in path.split(separator: "/") {
            partial += "/" + part
            if mkdir(partial, 0o700) != 0 && errno != EEXIST {
                throw refuse(flag, partial, "cannot be created (\(Errno.last)); choose another --\(flag)")
            }
        }
        try check(path, flag: flag, last: last)
    }

    private static func checkOwner(_ info: stat, _ path: String, flag: String) throws(ValidationError) {
        guard info.st_uid != 0, info.st_uid != geteuid() else { return }
        throw refuse(flag, path, "is owned by uid \(info.st_uid), not root, who could replace the files Ganesha reads; use a directory only root can write (chown root, chmod 0700), or a path share-manager creates itself")
    }

    private static func checkMode(_ info: stat, _ path: String, flag: String, last: Last?) throws(ValidationError) {
        let mode = info.st_mode & 0o7777
        let shown = "mode 0" + String(mode, radix: 8)
        if last == .privateDirectory, mode & 0o077 != 0 {
            throw refuse(flag, path, "is open to group or others (\(shown)); chmod 0700 it, or remove it and let share-manager create it")
        }
        guard mode & 0o022 != 0 else { return }
        // Others may add to a sticky folder but not rename or remove what root put there;
        // the folder share-manager writes in itself gets no such pass.
        if last == nil, mode & S_ISVTX != 0 { return }
        throw refuse(flag, path, "is writable by group or others (\(shown)), who could replace the files Ganesha reads; chmod go-w it, or choose another --\(flag)")
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    private static func refuse(_ flag: String, _ path: String, _ reason: String) -> ValidationError {
        ValidationError(flag: flag, reason: "\(path) \(reason)")
    }
}
