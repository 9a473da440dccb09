import Glibc
import LinuxSupport
import NIOCore
import NIOPosix

/// Bounded waits for a child to become usable.
public enum Readiness {
    /// Polls `check` every `interval` until it returns true or `timeout` passes. A child's
    /// listening socket gives no event to wait on, so its readiness is polled; `check` must
    /// not block (use the async `accepting…` probes, which connect off the pool).
    public static func poll(
        timeout: Duration, interval: Duration = .milliseconds(50), _ check: () async -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if await check() { return true }
            try? await Task.sleep(for: interval)
        } while ContinuousClock.now < deadline
        return await check()
    }

    /// True when a TCP connection to `host:port` (numeric IPv4 or IPv6) succeeds now. Blocks
    /// for the connect: from async code use `acceptingTCP`.
    public static func acceptsTCP(host: String, port: UInt16) -> Bool {
        guard let address = try? SocketAddress(ipAddress: host, port: Int(port)) else { return false }
        return accepts(address)
    }

    /// True when a unix stream socket at `path` accepts a connection now. Blocks for the
    /// connect: from async code use `acceptingUnix`.
    public static func acceptsUnix(path: String) -> Bool {
        guard let address = try? SocketAddress(unixDomainSocketPath: path) else { return false }
        return accepts(address)
    }

    /// `acceptsTCP` on NIO's thread pool, off the cooperative pool.
    public static func acceptingTCP(host: String, port: UInt16) async -> Bool {
        await offCooperativePool { acceptsTCP(host: host, port: port) }
    }

    /// `acceptsUnix` on NIO's thread pool, off the cooperative pool.
    public static func acceptingUnix(path: String) async -> Bool {
        await offCooperativePool { acceptsUnix(path: path) }
    }

    /// A refused or failed connect is the answer "not yet", whatever its errno.
    private static func accepts(_ address: SocketAddress) -> Bool {
        guard let fd = try? connectStream(to: address) else { return false }
        close(fd)
        return true
    }
}
