import ChildProcesses
import Glibc
import NIOCore
import Testing

/// `PortHold` on loopback: while held, a connection attempt gets no answer (its SYN is
/// dropped, where a closed port would refuse it), a server cannot bind the port, and once
/// released the port is closed again.
@Suite("Holding a port while its server restarts", .timeLimit(.minutes(1)))
struct PortHoldTests {
    @Test("held: attempts are dropped and binds excluded; released: refused")
    func holdAndRelease() async throws {
        let port = try freedLoopbackPort()
        let hold = PortHold()
        #expect(hold.arm(host: "127.0.0.1", port: port, reachHost: "127.0.0.1"))
        #expect(try hold.engage().get() == true)
        #expect(try hold.engage().get() == false, "a second engage holds nothing more")
        #expect(attempt(port, within: 300) == ETIMEDOUT, "held: no answer within 300 ms")
        #expect(bindReusingAddress(port) == EADDRINUSE, "held: the server's bind fails, so release before it starts")
        await hold.release(after: .milliseconds(50))
        #expect(attempt(port, within: 5000) == ECONNREFUSED)
        hold.disarm()
        #expect(try hold.engage().get() == false, "disarmed: nothing is held")
        #expect(attempt(port, within: 5000) == ECONNREFUSED)
    }

    /// What `engage` meets when a client's reconnect took the one place in the queue between
    /// its listen and its own connect: a blocking connect would wait out SYN retries.
    @Test("a connect not waited for returns at once when the listener's queue is already full")
    func fullQueue() throws {
        let port = try freedLoopbackPort()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = loopbackAddress(port)
        let listening = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        } && listen(listener, 0) == 0
        try #require(listening)
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: Int(port))
        let first = try connectStream(to: target)
        defer { close(first) }
        let clock = ContinuousClock()
        let started = clock.now
        let second = try connectStream(to: target, waiting: false)
        defer { close(second) }
        #expect(clock.now - started < .milliseconds(500), "a dropped SYN is retried after 1 s; not waited for, the call is back at once")
    }

    @Test("an address that is not an IP address arms nothing")
    func hostName() {
        #expect(!PortHold().arm(host: "nfs.example", port: 2049, reachHost: "127.0.0.1"))
    }

    /// A non-blocking connect: 0 when accepted, its errno when refused, ETIMEDOUT when
    /// nothing answered within `milliseconds` (a refusal comes at once, but a loaded machine
    /// may take a while to deliver it).
    private func attempt(_ port: UInt16, within milliseconds: Int32) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        defer { close(fd) }
        var address = loopbackAddress(port)
        let started = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if started == 0 { return 0 }
        guard errno == EINPROGRESS else { return errno }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, milliseconds) == 1 else { return ETIMEDOUT }
        var failure: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size)
        return failure
    }

    /// A bind as Ganesha does it (SO_REUSEADDR only): 0, or its errno.
    private func bindReusingAddress(_ port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0 ? 0 : errno
    }
}
