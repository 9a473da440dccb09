import Foundation

/// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
///
/// SO_PASSCRED makes the kernel attach the sender's PID to each datagram, so the tests
/// keep only what this process sent: a child another suite starts meanwhile inherits
/// NOTIFY_SOCKET and may write here too.
final class NotificationSocket {
    /// The value for NOTIFY_SOCKET: a path, or `@name` for an abstract socket.
    let address: String
    private let fd: Int32

    init(path: String) throws {
        address = path
        fd = try Self.bound(Array(path.utf8) + [0])
    }

    init(abstractName name: String) throws {
        address = "@" + name
        fd = try Self.bound([0] + Array(name.utf8))
    }

    deinit { close(fd) }

    /// The payloads this process sent, until `count` arrived or `timeout` passed.
    func receive(count: Int, timeout: Duration = .seconds(2)) -> [String] {
        var messages: [String] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < count && ContinuousClock.now < deadline {
            guard let (message, sender) = receiveOne() else { continue }
            if sender == getpid() { messages.append(message) }
        }
        return messages
    }

    /// One datagram and the PID from its SCM_CREDENTIALS, or nil after the 100 ms receive timeout.
    private func receiveOne() -> (String, pid_t)? {
        var payload = [UInt8](repeating: 0, count: 4096)
        // cmsghdr (len, level, type) followed by a ucred, with room to spare for alignment.
        var control = [UInt8](repeating: 0, count: 64)
        let received = payload.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { control in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vector in
                    var header = msghdr()
                    header.msg_iov = vector
                    header.msg_iovlen = 1
                    header.msg_control = control.baseAddress
                    header.msg_controllen = control.count
                    return recvmsg(fd, &header, 0)
                }
            }
        }
        guard received >= 0 else { return nil }
        let message = String(decoding: payload[0..<received], as: UTF8.self)
        return (message, Self.senderPID(control))
    }

    // SCM_CREDENTIALS and struct ucred need _GNU_SOURCE, which the Glibc module does not
    // define; the value is fixed by the Linux ABI.
    private static let scmCredentials: Int32 = 2

    private static func senderPID(_ control: [UInt8]) -> pid_t {
        control.withUnsafeBytes { raw in
            let header = raw.loadUnaligned(as: cmsghdr.self)
            guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == scmCredentials else { return -1 }
            // CMSG_DATA: the header rounded up to the alignment of size_t.
            let offset = (MemoryLayout<cmsghdr>.size + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
            // struct ucred starts with the pid.
            return raw.loadUnaligned(fromByteOffset: offset, as: pid_t.self)
        }
    }

    /// A datagram socket bound to `sunPath` (NUL-terminated path, or NUL-prefixed abstract name).
    private static func bound(_ sunPath: [UInt8]) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard sunPath.count <= MemoryLayout.size(ofValue: address.sun_path) else { close(fd); throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: sunPath) }
        // An abstract name is exactly as long as the address length says: no trailing NUL.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + sunPath.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        var on: Int32 = 1
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        guard bound == 0,
              setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size)) == 0,
              setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0
        else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        return fd
    }
}
