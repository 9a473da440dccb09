import Foundation
import Synchronization

/// A unique folder under $TMPDIR (default /tmp), removed by `remove()`; unique so two suites
/// can run at once. scripts/test.sh's second pass points TMPDIR at a shared mount of its own
/// (see scripts/ganesha-in-root.sh).
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "sm-test") throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago. It is drawn at random from below
/// the kernel's ephemeral range (32768-60999 here): a port the kernel hands out itself (to
/// a Ganesha started with `--nfs-port 0`, or to any client socket) could otherwise be the
/// one a test is about to bind. This process never hands out the same port twice, and
/// another suite running at once draws from 12,000 ports, so the window before the server
/// binds it is small.
public func freeTCPPort() throws -> UInt16 {
    for _ in 0..<200 {
        let candidate = UInt16.random(in: 20000..<32000)
        guard PortsHandedOut.claim(candidate), canBind(candidate) else { continue }
        return candidate
    }
    throw POSIXError(.EADDRINUSE)
}

private enum PortsHandedOut {
    static let ports = Mutex<Set<UInt16>>([])
    static func claim(_ port: UInt16) -> Bool { ports.withLock { $0.insert(port).inserted } }
}

private func canBind(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
