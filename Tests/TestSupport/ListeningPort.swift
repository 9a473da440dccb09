import Foundation

extension SocketProbe {
    /// The TCP port `pid` listens on, read from the kernel: a server started on port 0
    /// (Ganesha with `NFS_Port = 0`) is found where it really bound, and no port is probed
    /// free and handed over later. Its socket inodes (`/proc/<pid>/fd`) matched against the
    /// LISTEN rows (state 0A) of `/proc/<pid>/net/tcp` and `tcp6` (Ganesha binds 127.0.0.1
    /// as the v4-mapped ::ffff:127.0.0.1); nil while it listens nowhere.
    public static func listeningTCPPort(pid: Int32) -> UInt16? {
        let fds = "/proc/\(pid)/fd"
        let sockets = Set(((try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? []).compactMap { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + fd)).flatMap { target in
                target.hasPrefix("socket:[") ? String(target.dropFirst(8).dropLast()) : nil
            }
        })
        let tables = ["tcp", "tcp6"].compactMap { try? String(contentsOfFile: "/proc/\(pid)/net/\($0)", encoding: .utf8) }
        for row in tables.flatMap({ $0.split(separator: "\n").dropFirst() }) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let fields = row.split(separator: " ")
            guard fields.count > 9, fields[3] == "0A", sockets.contains(String(fields[9])),
                  let port = fields[1].split(separator: ":").last.flatMap({ UInt16($0, radix: 16) }) else { continue }
            return port
        }
        return nil
    }
}
