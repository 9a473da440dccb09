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

/// nil when a TCP server could bind `host:port` now, else the errno (`EADDRINUSE` when another
/// socket listens there): the kernel's own answer, from a bind closed at once. A host that is
/// not a numeric address is not judged.
public func streamBindError(host: String, port: UInt16) -> Errno? {
    guard let address = try? SocketAddress(ipAddress: host, port: Int(port)) else { return nil }
    do throws(Errno) {
        close(try boundStreamSocket(address))
        return nil
    } catch {
        return error
    }
}

/// A close-on-exec stream socket bound to `address` with SO_REUSEADDR, as Ganesha binds its
/// own, so that connections of an earlier server in TIME_WAIT do not count.
func boundStreamSocket(_ address: SocketAddress) throws(Errno) -> Int32 {
    let fd = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .last }
    var one: Int32 = 1
    guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0,
          address.withSockAddr({ bind(fd, $0, socklen_t($1)) }) == 0 else {
        let failure = Errno.last
        close(fd)
        throw failure
    }
    return fd
}
