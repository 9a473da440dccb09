import Glibc
import LinuxSupport
import NIOCore
import SystemPackage

/// A blocking connect of a new close-on-exec stream socket, for the few places that talk to
/// a socket without an event loop (readiness checks, the control client). Addresses are
/// NIO's `SocketAddress`, the one builder of sockaddr_in, sockaddr_in6 and sockaddr_un.
/// Blocks: call it from a thread of its own or NIO's thread pool, never the cooperative pool.
/// With `waiting: false` the socket is non-blocking and a connect still in progress is
/// returned as it is: for a caller that needs the SYN sent, not the connection made.
public func connectStream(to address: SocketAddress, waiting: Bool = true) throws(Errno) -> Int32 {
    let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (waiting ? 0 : Int32(SOCK_NONBLOCK.rawValue))
    let fd = socket(address.protocol.rawValue, flags, 0)
    guard fd >= 0 else { throw .last }
    // Not retried on EINTR: an interrupted connect goes on in the kernel, and a second call
    // would only report EALREADY.
    guard address.withSockAddr({ connect(fd, $0, socklen_t($1)) }) == 0 || (!waiting && errno == EINPROGRESS) else {
        let failure = Errno.last
        close(fd)
        throw failure
    }
    return fd
}
