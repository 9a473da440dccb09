import ChildProcesses
import SupervisorInterface
import FoundationEssentials
import Glibc
import LinuxSupport

enum ListeningSockets {
    /// The TCP ports `pid` listens on, with their local addresses: its socket inodes
    /// (`/proc/<pid>/fd`) matched against the LISTEN rows of its network namespace's tables.
    /// A process that has gone (or a table we may not read) listens on nothing: absence is the answer.
    static func tcp(pid: Int32) -> [(address: String, port: UInt16)] {
        let inodes = socketInodes(pid: pid)
        guard !inodes.isEmpty else { return [] }
        var found: [(String, UInt16)] = []
        for table in ["tcp", "tcp6"] {
            // A table that cannot be read (the process ended) holds no listener of it.
            guard let text = try? SystemCalls<SystemCallError>.readFile("/proc/\(pid)/net/\(table)") else { continue }
            for row in text.split(separator: "\n").dropFirst() {
                if let entry = parse(row: row), entry.listening, inodes.contains(entry.inode) {
                    found.append((entry.address, entry.port))
                }
            }
        }
        return found
    }

    private static func socketInodes(pid: Int32) -> Set<UInt64> {
        let links = ProcessDescriptors.list(pid: pid) ?? []
        return Set(links.compactMap { entry -> UInt64? in
            guard entry.link.hasPrefix("socket:["), entry.link.hasSuffix("]") else { return nil }
            return UInt64(entry.link.dropFirst(8).dropLast())
        })
    }

    /// One row of /proc/net/tcp{,6}: `sl local_address rem_address st ... uid timeout inode`.
    static func parse(row: Substring) -> (address: String, port: UInt16, listening: Bool, inode: UInt64)? {
        let fields = row.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 9 else { return nil }
        let local = fields[1].split(separator: ":")
        guard local.count == 2, let port = UInt16(local[1], radix: 16), let inode = UInt64(fields[9]),
              let address = address(hex: local[0]) else { return nil }
        return (address, port, fields[3] == "0A", inode)
    }

    /// The kernel prints addresses as 32-bit words in host order (little-endian here).
    static func address(hex: Substring) -> String? {
        guard hex.count == 8 || hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<next], radix: 16) else { return nil }
            withUnsafeBytes(of: word.littleEndian) { bytes += $0 }
            index = next
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `<state-dir>/endpoint.json`, for a cluster-level manager that points the volume's
/// Service at this Pod's port. Replaced atomically, so a reader never sees half a file.
struct EndpointFile {
    let path: String

    func write(_ endpoint: NFSEndpoint) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try (encoder.encode(endpoint) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
