extension FilesystemPeek {
    /// `ls -p` prints `/inode/mode/uid/gid/name/size/` per entry (size empty for folders).
    func ext4Entries(of path: String) throws(DeviceError) -> [Entry]? {
        let result = try debugfs("ls -p " + path)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: true)
        guard try listed(result, path: path, lines: lines.count) else { return nil }
        return lines.compactMap { line in
            let fields = line.split(separator: "/", omittingEmptySubsequences: false)
            guard fields.count == 8, fields[0].isEmpty, fields[7].isEmpty, let mode = Int(fields[2], radix: 8) else {
                return Entry(name: String(line), kind: .other("an entry that does not parse"))
            }
            let name = String(fields[5])
            // Inode 0 is an unused slot (lost+found has its blocks preallocated).
            if name == "." || name == ".." || fields[1] == "0" { return nil }
            switch mode & 0o170000 {
            case 0o040000: return Entry(name: name, kind: .directory)
            case 0o100000: return Entry(name: name, kind: .regular(bytes: Int64(fields[6])))
            default: return Entry(name: name, kind: .other("an entry of mode 0" + String(mode, radix: 8)))
            }
        }
    }

    /// The bytes of a regular file (the caller checked its type and size).
    func ext4Contents(of path: String) throws(DeviceError) -> [UInt8] {
        let result = try debugfs("cat " + path)
        guard Self.toolErrors(result.stderr).isEmpty else {
            throw .markerUnreadable(device: label, reason: "debugfs could not read it: \(Self.toolErrors(result.stderr).joined(separator: "; "))")
        }
        return Array(result.stdout.utf8)
    }

    /// `-c` opens the device read-only without reading the bitmaps, so a damaged filesystem
    /// can still be looked at; without `-w` debugfs never writes.
    private func debugfs(_ request: String) throws(DeviceError) -> ToolResult {
        try runner.check("debugfs", ["-c", "-R", request, device])
    }

    /// False for a missing folder (no entry at all, not even `.`, and "No such file"); any
    /// other complaint is damage, also beside a partial listing (an entry whose inode fails
    /// its checksum is left out of it).
    func listed(_ result: ToolResult, path: String, lines: Int) throws(DeviceError) -> Bool {
        let errors = Self.toolErrors(result.stderr)
        if lines == 0, errors.allSatisfy({ $0.contains("not found") || $0.contains("No such file") }) { return false }
        guard errors.isEmpty else {
            throw .markerUnreadable(device: label, reason: "\(path) cannot be listed: \(errors.joined(separator: "; "))")
        }
        return true
    }

    /// stderr without the banner both tools print and the notice of `-c`.
    static func toolErrors(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map { $0.trimmed }.filter {
            !$0.isEmpty && !$0.hasPrefix("debugfs ") && !$0.hasPrefix("catastrophic mode")
        }
    }
}
