import Glibc
import LinuxSupport
import NIOCore
import SystemPackage

/// A blocking connect of a new close-on-exec stream socket, for the few places that talk to
/// a socket without an event loop (readiness checks, the control client). Addresses are
/// NIO's `SocketAddress`, the one builder of sockaddr_in, sockaddr_in6 and sockaddr_un.
/// Blocks: call it from a thread of its own or NIO's thread pool, never the cooperative pool.
public func connectStream(to address: SocketAddress) throws(Errno) -> Int32 {
    let fd = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .last }
    // Not retried on EINTR: an interrupted connect goes on in the kernel, and a second call
    // would only report EALREADY.
    guard address.withSockAddr({ connect(fd, $0, socklen_t($1)) }) == 0 else {
        let failure = Errno.last
        close(fd)
        throw failure
    }
    return fd
}

/// Whether a TCP socket with SO_REUSEADDR, as a server sets it, could bind `address` now:
/// the kernel's own answer to "would a listener there get EADDRINUSE?", which a listener,
/// or an outgoing connection that took the port as its own, makes it give. Binding does not
/// block; the socket is closed at once.
public func streamPortIsFree(_ address: SocketAddress) -> Bool {
    let fd = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    // No socket to ask with (out of descriptors): no evidence that the port is taken.
    guard fd >= 0 else { return true }
    defer { close(fd) }
    var one: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let failure = address.withSockAddr { bind(fd, $0, socklen_t($1)) == 0 ? 0 : errno }
    return failure != EADDRINUSE
}
