import Foundation

/// A failure of a test fixture, with what the operator needs to see (often a child's log).
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Checks whether a server accepts connections yet, without sending it anything.
public enum SocketProbe {
    /// True when a unix-domain stream socket at `path` accepts a connection.
    public static func unixSocketAccepts(_ path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        return connects(family: AF_UNIX, address: address)
    }

    /// True when 127.0.0.1:`port` accepts a TCP connection.
    public static func tcpPortAccepts(_ port: UInt16) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return connects(family: AF_INET, address: address)
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
    public static func waitUntil(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    private static func connects<Address>(family: Int32, address: Address) -> Bool {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var copy = address
        let result = withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        return result == 0
    }
}
