import FoundationEssentials
import Glibc
import LinuxSupport
import Logging

/// Finds out what a device holds without writing to it.
public struct DeviceProbe: Sendable {
    let runner: ToolRunner

    public init(logger: Logger) {
        runner = ToolRunner(logger: logger)
    }

    init(runner: ToolRunner) {
        self.runner = runner
    }

    /// Blank only when blkid and wipefs find no signature *and* both ends are zero bytes:
    /// each alone misses something (random data, or a signature the other does not know).
    public func probe(_ device: String) async throws(DeviceError) -> DeviceContent {
        try await inspect(device).content
    }

    /// The content, and the filesystem label blkid reports (nil when there is none).
    func inspect(_ device: String) async throws(DeviceError) -> (content: DeviceContent, label: String?) {
        let (blkid, wipefs) = try runner.runBoth(
            ("blkid", ["-p", "-o", "export", device]), ("wipefs", ["--no-act", "--noheadings", "--output", "TYPE", device])
        )
        guard wipefs.status == 0 else {
            throw .toolFailed(command: "wipefs --no-act --noheadings --output TYPE \(device)", status: wipefs.status, detail: wipefs.summary)
        }
        let signatures = wipefs.stdout.split(whereSeparator: \.isNewline).map { $0.trimmed }
            .filter { !$0.isEmpty }
        let listed = Array(Set(signatures)).sorted().joined(separator: ", ")
        switch blkid.status {
        case 0:
            let label = Self.fields(export: blkid.stdout)["LABEL"]
            return (Self.classify(export: blkid.stdout, wipefsSignatures: Set(signatures)), label)
        case 2:
            if !signatures.isEmpty { return (.foreign("signatures blkid does not report (\(listed))"), nil) }
            guard try ZeroCheck.edgesAreZero(device) else {
                return (.foreign("non-zero data in its first or last MiB but no known signature (perhaps encrypted data)"), nil)
            }
            return (.blank, nil)
        case 8:
            // blkid prints nothing when it finds two signatures; wipefs names them.
            return (.foreign("several signatures at once (\(listed.isEmpty ? "blkid: ambivalent result" : listed))"), nil)
        default:
            throw .toolFailed(command: "blkid -p -o export \(device)", status: blkid.status, detail: blkid.summary)
        }
    }

    /// Turns `blkid -o export` output into content; any signature besides one ext4 or xfs
    /// filesystem is foreign.
    static func classify(export: String, wipefsSignatures: Set<String>) -> DeviceContent {
        let fields = fields(export: export)
        if let table = fields["PTTYPE"] { return .foreign("a \(table) partition table") }
        guard let type = fields["TYPE"] else {
            return .foreign("a signature blkid reports without a type (\(fields.keys.sorted().joined(separator: ", ")))")
        }
        guard let filesystem = FilesystemType(rawValue: type) else { return .foreign("a \(type) signature") }
        let others = wipefsSignatures.subtracting([type])
        guard others.isEmpty else {
            return .foreign("an \(type) filesystem together with other signatures (\(others.sorted().joined(separator: ", ")))")
        }
        return .filesystem(filesystem)
    }

    /// `KEY=value` lines of `blkid -o export`.
    static func fields(export: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in export.split(whereSeparator: \.isNewline) {
            let pair = line.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        return fields
    }
}
