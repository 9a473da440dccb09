import SystemPackage
import FoundationEssentials
import Glibc

extension RecoveryStore {
    /// A client recorded in both `v4old` and `v4recov` is one client that reclaimed during a
    /// grace period that a crash then cut short: Ganesha had moved its record to `v4old` at
    /// start, and the reclaim wrote a new one to `v4recov`. The next Ganesha reads both and
    /// counts the client twice, and since it sends RECLAIM_COMPLETE once, that grace never
    /// ends early: every new open waits the full Grace_Period. Merged here into the `v4recov`
    /// record, which Ganesha moves to `v4old` at start as usual, so the client counts once.
    /// Files inside a record (handles revoked from that client) are kept. A record long
    /// enough to continue in nested folders is left alone: the first folder's name alone
    /// does not tell two clients apart. Returns the merged names.
    public func mergeInterruptedGrace() -> [String] {
        let old = "\(root)/v4old/node0", recovered = "\(root)/v4recov/node0"
        let oldNames = Set(Self.entryNames(in: old))
        var merged: [String] = []
        for raw in Self.entryNames(in: recovered) where oldNames.contains(raw) {
            guard let name = String(validating: raw, as: UTF8.self) else { continue }
            let kept = recovered + "/" + name, duplicate = old + "/" + name
            guard Self.problem(with: name, at: kept) == nil, Self.problem(with: name, at: duplicate) == nil,
                  let keptFiles = Self.plainFiles(in: kept), let duplicateFiles = Self.plainFiles(in: duplicate)
            else { continue }
            for file in duplicateFiles {
                let source = duplicate + "/" + file
                // The same name is the same revoked handle: one copy is enough.
                if keptFiles.contains(file) { unlink(source) } else { rename(source, kept + "/" + file) }
            }
            if rmdir(duplicate) == 0 {
                merged.append(name)
            } else {
                logger.warning("recovery record found twice and could not be merged; this grace period may run its full length", metadata: [
                    "entry": "\(Self.printable(name))", "error": "\(Errno.last)",
                ])
            }
        }
        if !merged.isEmpty {
            logger.notice("recovery records found twice, after a crash during a grace period; merged so that each client counts once", metadata: [
                "entries": "\(merged.map(Self.printable).joined(separator: ", "))",
            ])
        }
        return merged
    }

    /// The names in a record folder when it holds only regular files; nil when it holds a
    /// folder (a long record's continuation) or anything else.
    public static func plainFiles(in folder: String) -> Set<String>? {
        var files = Set<String>()
        for raw in entryNames(in: folder) {
            guard let name = String(validating: raw, as: UTF8.self) else { return nil }
            var info = stat()
            guard lstat(folder + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            files.insert(name)
        }
        return files
    }
}
