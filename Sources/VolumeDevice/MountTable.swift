import FoundationEssentials
import Glibc

/// The kernel's own list of mounts (/proc/self/mountinfo), which unlike /etc/mtab or
/// findmnt's defaults names devices by number, so a device is found whatever path mounted it.
struct MountTable: Sendable {
    struct Entry: Sendable, Equatable {
        /// Field 3, `major:minor` of the mounted device.
        let majorMinor: String
        /// Field 5, unescaped.
        let mountPoint: String
        /// The filesystem type after the ` - ` separator.
        var filesystemType: String = ""
        /// The per-mount options (field 6) followed by the superblock options (the last
        /// field), where ext4 reports `emergency_ro` and xfs `shutdown`-like states.
        var options: [String] = []
    }

    let entries: [Entry]

    static func current() throws(DeviceError) -> MountTable {
        MountTable(text: try SystemCall.readFile("/proc/self/mountinfo"))
    }

    init(text: String) {
        entries = text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 4 else { return nil }
            var entry = Entry(majorMinor: String(fields[2]), mountPoint: Self.unescape(fields[4]))
            // Optional fields of any number sit between field 6 and the separator.
            if fields.count > 5, let separator = fields.dropFirst(6).firstIndex(of: "-"), separator + 3 < fields.count {
                entry.filesystemType = String(fields[separator + 1])
                entry.options = (fields[5] + "," + fields[separator + 3]).split(separator: ",").map(String.init)
            }
            return entry
        }
    }

    func mountPoints(ofDevice majorMinor: String) -> [String] {
        entries.filter { $0.majorMinor == majorMinor }.map(\.mountPoint)
    }

    /// Whether `path` (resolved through symlinks) is itself a mount point.
    func isMountPoint(_ path: String) -> Bool {
        entry(at: path) != nil
    }

    /// The topmost mount at `path` (resolved through symlinks): the last one listed.
    func entry(at path: String) -> Entry? {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return entries.last { $0.mountPoint == resolved }
    }

    /// The kernel writes space, tab, newline and backslash in paths as `\ooo` octal.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "\\"), rest.count >= 3,
                let value = UInt8(String(decoding: rest.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                rest = rest.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
