import Glibc
import NIOPosix

/// An ONC RPC NULL call to NFS (program 100003, version 4) over TCP: proof that the data
/// path answers, not just D-Bus. It creates no NFS client or session, so it never becomes a
/// recovery record that would hold the next grace period.
enum NFSNullProbe {
    /// True when `host:port` answered the NULL call with an accepted, successful reply in time.
    static func answers(host: String, port: UInt16, timeout: Duration = .seconds(2)) async -> Bool {
        // Blocking socket calls, bounded by SO_*TIMEO: on NIO's pool for blocking work, off the
        // cooperative pool. A pool that is shutting down means we are exiting: "no answer".
        (try? await NIOThreadPool.singleton.runIfActive { call(host: host, port: port, timeout: timeout) }) ?? false
    }

    static let xid: UInt32 = 0x5348_4D31  // "SHM1"

    /// The call: record mark, xid, CALL, RPC v2, program, version, procedure 0, AUTH_NONE twice.
    static var request: [UInt8] {
        let words: [UInt32] = [xid, 0, 2, 100_003, 4, 0, 0, 0, 0, 0]
        var bytes = bigEndian(0x8000_0000 | UInt32(words.count * 4))
        for word in words { bytes += bigEndian(word) }
        return bytes
    }

    /// An accepted reply: xid, REPLY, MSG_ACCEPTED, a verifier, then SUCCESS.
    static func isSuccess(_ reply: [UInt8]) -> Bool {
        guard reply.count >= 28 else { return false }
        func word(_ index: Int) -> UInt32 {
            reply[index..<index + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let verifierLength = Int(word(20))
        let statusAt = 24 + (verifierLength + 3) / 4 * 4
        guard reply.count >= statusAt + 4 else { return false }
        return word(4) == xid && word(8) == 1 && word(12) == 0 && word(statusAt) == 0
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func call(host: String, port: UInt16, timeout: Duration) -> Bool {
        var v6 = in6_addr()
        let isV6 = inet_pton(AF_INET6, host, &v6) == 1
        let fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, host: host, port: port, v6: isV6 ? v6 : nil) else { return false }
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 256)
        var received = 0
        while received < 28 {
            let n = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, $0.count - received, 0) }
            guard n > 0 else { return false }
            received += n
        }
        return isSuccess(Array(reply[0..<received]))
    }

    private static func connect(_ fd: Int32, host: String, port: UInt16, v6: in6_addr?) -> Bool {
        if let v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            addr.sin6_addr = v6
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
