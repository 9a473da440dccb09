import Glibc
import NIOCore

/// Why a TCP listener could not be opened, in words an operator acts on, without NIO's
/// call names (`bind(descriptor:ptr:bytes:)`).
public struct ListenError: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let cause: any Error

    /// Another socket listens there.
    public var inUse: Bool { (cause as? IOError)?.errnoCode == EADDRINUSE }

    public var description: String {
        if let io = cause as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return "\(host):\(port) is already in use"
            case EADDRNOTAVAIL: return "\(host) is not an address of this host"
            case EACCES: return "port \(port) is below 1024 and needs CAP_NET_BIND_SERVICE"
            default: return "\(host):\(port) cannot be listened on (\(String(cString: strerror(io.errnoCode))))"
            }
        }
        if cause is SocketAddressError { return "\(host) is not an address (use a numeric IPv4 or IPv6 address)" }
        return "\(host):\(port) cannot be listened on (\(cause))"
    }
}
