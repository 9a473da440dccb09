import Foundation
import Logging

/// Ganesha's `fs` recovery backend directory: `v4recov/node0/` holds one directory per
/// confirmed client, `v4old/node0/` the previous instance's records during grace.
///
/// share-manager owns the folder: it creates it, and at start moves anything Ganesha could
/// choke on into a sibling quarantine folder (never deleting it: a record is a client's
/// right to reclaim, and an operator may want to look at it).
struct RecoveryStore: Sendable {
    let root: String
    let logger: Logger

    var quarantine: String { (root as NSString).deletingLastPathComponent + "/recovery-quarantine" }

    struct Report: Sendable, Equatable {
        var records = 0
        var quarantined: [String] = []
    }

    /// Creates the store if missing and checks its structure. Never throws for a bad entry:
    /// a server that does not start helps no client.
    func prepare() throws -> Report {
        let files = FileManager.default
        try files.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var report = Report()
        for generation in ["v4recov", "v4old"] {
            let node = "\(root)/\(generation)/node0"
            guard files.fileExists(atPath: node) else { continue }
            for entry in (try? files.contentsOfDirectory(atPath: node)) ?? [] {
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
    static func problem(with name: String, at path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "not a directory"
        }
        guard access(path, R_OK | X_OK) == 0 else { return "not readable" }
        guard name.range(of: #"^[^()]+-\([0-9]+:"#, options: .regularExpression) != nil else {
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
            logger.warning("recovery record quarantined", metadata: ["entry": "\(path)", "why": "\(why)", "movedTo": "\(target)"])
        } catch {
            logger.error("recovery record is malformed and could not be quarantined; Ganesha may skip it", metadata: [
                "entry": "\(path)", "why": "\(why)", "error": "\(error)",
            ])
        }
    }
}
