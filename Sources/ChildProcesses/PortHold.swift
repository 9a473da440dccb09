import Glibc
import LinuxSupport
import NIOCore
import Synchronization
import SystemPackage

/// Holds a server's TCP port while the server restarts, so that a client's connection attempt
/// in that gap is dropped rather than refused. The Linux NFS client waits its re-establish
/// back-off (3 s, doubling) after a refused connect, but only its SYN retransmit (1 s) after a
/// dropped one. The hold is a listener whose accept queue (backlog 0) is filled by one
/// connection of our own: the kernel drops further SYNs to a full queue. It must be released
/// before the server binds again (a listening socket excludes the server's bind, even with
/// `SO_REUSEADDR`). Needs no capability; costs two file descriptors while held.
public final class PortHold: Sendable {
    private struct Target: Sendable {
        let listen: SocketAddress
        let reach: SocketAddress
    }
    private struct State {
        var target: Target?
        var fds: [Int32] = []
        var since: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    public init() {}

    /// Sets the port to hold at the next `engage`: `host` as the server binds it, `reachHost`
    /// where we connect to fill the queue (loopback for a wildcard). False for an address that
    /// is not an IP address (nothing is held then).
    @discardableResult
    public func arm(host: String, port: UInt16, reachHost: String) -> Bool {
        guard let listen = try? SocketAddress(ipAddress: host, port: Int(port)),
              let reach = try? SocketAddress(ipAddress: reachHost, port: Int(port)) else { return false }
        state.withLock { $0.target = Target(listen: listen, reach: reach) }
        return true
    }

    /// Releases the port and holds it no more (a stop: the next server may be another instance).
    public func disarm() {
        state.withLock { $0.target = nil }
        release()
    }

    /// Takes the port if armed and not yet held. Makes system calls that do not wait: still
    /// call it from a thread of its own, such as the one that reaped the server.
    @discardableResult
    public func engage() -> Result<Bool, Errno> {
        state.withLock { state in
            guard let target = state.target, state.fds.isEmpty else { return .success(false) }
            return Self.hold(target).map { fds in
                state.fds = fds
                state.since = .now
                return true
            }
        }
    }

    /// Lets the server bind again, once the port has been held for `minimum`: a client whose
    /// reconnect came before the server's bind must have met the hold, not the refusal that
    /// follows the release (the server's own start to its bind, 60-80 ms for Ganesha here).
    public func release(after minimum: Duration) async {
        guard let since = state.withLock({ $0.since }) else { return }
        // Ended early only by cancellation (a stop), which releases at once as wanted.
        try? await Task.sleep(until: since + minimum, clock: .continuous)
        release()
    }

    /// Lets the server bind again.
    public func release() {
        let fds = state.withLock { state -> [Int32] in
            defer {
                state.fds = []
                state.since = nil
            }
            return state.fds
        }
        fds.forEach { close($0) }
    }

    private static func hold(_ target: Target) -> Result<[Int32], Errno> {
        // SO_REUSEADDR: the dead server's connections may linger in TIME_WAIT on the port.
        let fd: Int32
        do throws(Errno) { fd = try boundStreamSocket(target.listen) } catch { return .failure(error) }
        guard listen(fd, 0) == 0 else {
            let failure = Errno.last
            close(fd)
            return .failure(failure)
        }
        do throws(Errno) {
            // Backlog 0 admits one connection: ours, and the queue is full. Not waited for: a
            // client's reconnect may take the one place between our listen and our connect,
            // and a blocking connect would then wait out SYN retries (minutes) while the
            // restart waits for this lock; the queue is full either way.
            return .success([fd, try connectStream(to: target.reach, waiting: false)])
        } catch {
            close(fd)
            return .failure(error)
        }
    }
}
