extension FilesystemPeek {
    /// `ls` prints `offset inode type hash namelength name status` per entry.
    func xfsEntries(of path: String) throws(DeviceError) -> [Entry]? {
        let result = try xfsDB(["ls " + path])
        // The first line repeats the path; a folder lists at least `.` after it.
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: true).dropFirst()
        guard try listed(result, path: path, lines: lines.count) else { return nil }
        return lines.compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, let length = Int(fields[4]), fields[5].utf8.count >= length else {
                return Entry(name: String(line), kind: .other("an entry that does not parse"))
            }
            let name = String(decoding: fields[5].utf8.prefix(length), as: UTF8.self)
            if name == "." || name == ".." { return nil }
            switch fields[2] {
            case "directory": return Entry(name: name, kind: .directory)
            case "regular": return Entry(name: name, kind: .regular(bytes: nil))
            default: return Entry(name: name, kind: .other("a \(fields[2])"))
            }
        }
    }

    /// The file's size and the filesystem's block size.
    func xfsSize(of path: String) throws(DeviceError) -> (bytes: Int64?, blockSize: Int) {
        let result = try xfsDB(["sb 0", "print blocksize", "path " + path, "print core.size"])
        let value = { (field: String) in
            result.stdout.split(separator: "\n").first { $0.hasPrefix(field + " = ") }.flatMap { Int64($0.dropFirst(field.count + 3).trimmed) }
        }
        return (value("core.size"), Int(value("blocksize") ?? 4096))
    }

    /// xfs keeps no file data inline, so the bytes are read block by block as xfs_db's hex dump.
    func xfsContents(of path: String, bytes: Int, blockSize: Int) throws(DeviceError) -> [UInt8] {
        let blocks = (bytes + blockSize - 1) / blockSize
        var commands = ["path " + path]
        for block in 0..<blocks { commands += ["dblock \(block)", "type text", "print"] }
        let result = try xfsDB(commands)
        guard Self.toolErrors(result.stderr).isEmpty else {
            throw .markerUnreadable(device: label, reason: "xfs_db could not read it: \(Self.toolErrors(result.stderr).joined(separator: "; "))")
        }
        var dumped: [UInt8] = []
        for line in result.stdout.split(separator: "\n") {
            // "000:  7b 0a 20 ...  {.." : the hex bytes end at the double space before the text.
            guard let colon = line.firstIndex(of: ":") else { continue }
            let hex = line[line.index(after: colon)...].drop { $0 == " " }
            for token in hex.split(separator: " ", omittingEmptySubsequences: false) {
                guard token.count == 2, let byte = UInt8(token, radix: 16) else { break }
                dumped.append(byte)
            }
        }
        // dblock pads the last block with zeros.
        guard dumped.count >= bytes else {
            throw .markerUnreadable(device: label, reason: "xfs_db returned \(dumped.count) of its \(bytes) bytes")
        }
        return Array(dumped.prefix(bytes))
    }

    /// `-r` opens the device read-only; xfs_db writes only in expert mode (`-x`).
    private func xfsDB(_ commands: [String]) throws(DeviceError) -> ToolResult {
        // Exit status 1 for a missing path as for damage: the caller tells them apart by stderr.
        try runner.check("xfs_db", ["-r"] + commands.flatMap { ["-c", $0] } + [device], accepted: [0, 1])
    }
}
