import SystemPackage
import FoundationEssentials
import Glibc
import LinuxSupport
import Logging

/// Ganesha's `fs` recovery backend directory: `v4recov/node0/` holds one directory per
/// confirmed client, `v4old/node0/` the previous instance's records during grace.
///
/// share-manager owns the folder: it creates it, and at start moves anything Ganesha could
/// choke on into a sibling quarantine folder (never deleting it: a record is a client's
/// right to reclaim, and an operator may want to look at it).
public struct RecoveryStore: Sendable {
    public let root: String
    public let logger: Logger

    public init(root: String, logger: Logger) {
        self.root = root
        self.logger = logger
    }

    public var quarantine: String { parentFolder(of: root) + "/recovery-quarantine" }

    public struct Report: Sendable, Equatable {
        public var records = 0
        public var quarantined: [String] = []
    }

    /// Creates the store if missing and checks its structure. Never throws for a bad entry:
    /// a server that does not start helps no client.
    public func prepare() throws -> Report {
        let files = FileManager.default
        try files.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Ganesha (root) creates and removes records below these folders, and bad entries are
        // moved into the quarantine: through a symlink either would act on a folder of the host.
        // (The root may be an operator's symlink: --recovery-dir is theirs.)
        for folder in [quarantine] + ["v4recov", "v4old"].flatMap({ ["\(root)/\($0)", "\(root)/\($0)/node0"] }) {
            if let kind = Self.notAFolder(folder) {
                throw Unusable(description: "\(Self.printable(folder)) is \(kind), not a folder; move it away")
            }
        }
        var report = Report()
        for generation in ["v4recov", "v4old"] {
            let node = "\(root)/\(generation)/node0"
            guard files.fileExists(atPath: node) else { continue }
            for (index, raw) in Self.entryNames(in: node).enumerated() {
                // FileManager would repair such a name into one that names nothing, and Ganesha
                // would log it as it is.
                guard let entry = String(validating: raw, as: UTF8.self) else {
                    moveToQuarantine(raw: Array(node.utf8) + [UInt8(ascii: "/")] + raw, name: "\(generation)-not-utf8-\(index)")
                    report.quarantined.append(String(decoding: raw, as: UTF8.self))
                    continue
                }
                let path = node + "/" + entry
                if let problem = Self.problem(with: entry, at: path) {
                    moveToQuarantine(path, name: "\(generation)-\(entry)", why: problem)
                    report.quarantined.append(entry)
                } else {
                    report.records += 1
                }
            }
        }
        return report
    }

    /// A record is a readable directory named `<client address>-(<length>:<owner...>`
    /// (long names continue in nested directories, so only the prefix is checked).
    public static func problem(with name: String, at path: String) -> String? {
        // lstat: Ganesha follows a symlinked record and removes folders where it points.
        var info = stat()
        guard lstat(path, &info) == 0 else { return "not a directory" }
        if info.st_mode & S_IFMT == S_IFLNK { return "a symbolic link" }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "not a directory" }
        guard access(path, R_OK | X_OK) == 0 else { return "not readable" }
        // Ganesha logs a name it cannot parse as it is: a newline would forge a line of its
        // log, which the grace tracker reads ("NFS Server Now NOT IN GRACE").
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "name holds control characters" }
        guard name.prefixMatch(of: #/[^()]+-\([0-9]+:/#) != nil else {
            return "name is not <address>-(<length>:<owner>)"
        }
        return nil
    }

    private func moveToQuarantine(_ path: String, name: String, why: String) {
        let stamp = Int(Date().timeIntervalSince1970)
        let target = "\(quarantine)/\(stamp)-\(name)"
        do {
            try FileManager.default.createDirectory(atPath: quarantine, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.moveItem(atPath: path, toPath: target)
            logger.warning("recovery record quarantined", metadata: [
                "entry": "\(Self.printable(path))", "why": "\(why)", "movedTo": "\(Self.printable(target))",
            ])
        } catch {
            logger.error("recovery record is malformed and could not be quarantined; Ganesha may skip it", metadata: [
                "entry": "\(Self.printable(path))", "why": "\(why)", "error": "\(error)",
            ])
        }
    }

    /// rename(2) with the source as bytes, for a name no String can hold.
    private func moveToQuarantine(raw source: [UInt8], name: String) {
        let target = "\(quarantine)/\(Int(Date().timeIntervalSince1970))-\(name)"
        let shown = Self.printable(String(decoding: source, as: UTF8.self))
        try? FileManager.default.createDirectory(atPath: quarantine, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let moved = (source + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { rename($0.baseAddress!, target) == 0 }
        }
        if moved {
            logger.warning("recovery record quarantined", metadata: ["entry": "\(shown)", "why": "name is not UTF-8", "movedTo": "\(target)"])
        } else {
            logger.error("recovery record is malformed and could not be quarantined; Ganesha may skip it", metadata: [
                "entry": "\(shown)", "why": "name is not UTF-8", "error": "\(Errno.last)",
            ])
        }
    }

    /// Entry names as the kernel has them; none when the folder cannot be listed.
    public static func entryNames(in folder: String) -> [[UInt8]] {
        SystemCalls<SystemCallError>.folderEntryBytes(folder) ?? []
    }

    public struct Unusable: Error, CustomStringConvertible {
        public let description: String
    }

    /// What is at `path` when something is there that is not a real folder; nil otherwise.
    public static func notAFolder(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return nil
        case S_IFLNK: return "a symbolic link"
        default: return "a file"
        }
    }

    /// Names come from the volume: control characters are escaped so a log line stays one line.
    public static func printable(_ text: String) -> String {
        text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? $0.escaped(asASCII: true) : String($0) }.joined()
    }
}
