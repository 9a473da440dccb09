import Foundation
import Glibc
import Logging
import LinuxSupport
@testable import ChildProcesses
import SystemPackage
import Testing

/// `ConnectionKeeper` against a real server process (python3 echoing bytes on loopback): a
/// kept connection outlives the server's SIGKILL until released, a connection the server
/// closes itself reaches its client at the next sync, and only connections on the port are kept.
/// python3 is part of every test machine (scripts/install-deps.sh): its absence fails the
/// suite (`#require` in `startServer`) rather than skipping it.
@Suite("Keeping a server's connections across its death", .timeLimit(.minutes(1)))
struct ConnectionKeeperTests {
    let logger = Logger(label: "test")

    /// Echoes every byte; `Q` makes it close that connection itself.
    static let server = """
        import socket, sys, threading
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
        def serve(c):
            while True:
                d = c.recv(1)
                if not d or d == b"Q":
                    c.close(); return
                c.sendall(d)
        while True:
            c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
        """

    @Test("kept: the client sees nothing of the server's SIGKILL; released: it sees the reset")
    func keptAcrossDeath() async throws {
        try await withKeptClient { first, client, keeper, port in
            #expect(keeper.count == 1, "one connection on the port; the listener is not one")

            first.send(SIGKILL)
            _ = await first.waitForExit()
            keeper.serverDied()
            try keeper.sync()
            #expect(keeper.count == 1, "a sync after the death keeps what is held")
            #expect(ended(client, within: 300) == nil, "the server's death reached the client through a kept connection")
            #expect(send(client, "x") == 1, "the client's request waits in the kept socket")

            let second = try await startServer(port)
            defer { second.send(SIGKILL) }
            keeper.release()
            #expect(keeper.count == 0)
            let end = ended(client, within: 5000)
            #expect(end == .reset || end == .closed, "released: the client must see the connection end (\(String(describing: end)))")
            close(try await connected(port))
        }
    }

    @Test("a connection the server closes itself is let go at the next sync")
    func serverClose() async throws {
        try await withKeptClient { _, client, keeper, _ in
            #expect(keeper.count == 1)
            #expect(send(client, "Q") == 1)
            #expect(ended(client, within: 300) == nil, "while ours is open, the server's close does not reach the client")
            // The server's close is asynchronous: sync until it is seen.
            let deadline = ContinuousClock.now + .seconds(5)
            while keeper.count > 0, ContinuousClock.now < deadline {
                try keeper.sync()
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(keeper.count == 0)
            #expect(ended(client, within: 5000) == .closed, "the client saw no end after our sync")
        }
    }

    @Test("connections to another port of the server are not kept")
    func otherPort() async throws {
        try await withKeptClient(watchingOffset: 1) { _, _, keeper, _ in
            #expect(keeper.count == 0)
        }
    }

    @Test("a server that died before it is followed is no failure, and releases nothing kept")
    func deadBeforeWatch() async throws {
        try await withKeptClient { first, client, keeper, port in
            first.send(SIGKILL)
            _ = await first.waitForExit()
            keeper.serverDied()
            let second = try await startServer(port)
            second.send(SIGKILL)
            _ = await second.waitForExit()
            try keeper.watch(pid: second.pid, port: port)
            #expect(keeper.count == 1, "the kept connection waits for a server that lives")
            #expect(ended(client, within: 300) == nil)
        }
    }

    /// A server on a freed port, a client it answered, and a keeper that follows the server on
    /// its port (plus `watchingOffset`) and has synced once; stopped and closed afterwards.
    private func withKeptClient(
        watchingOffset: UInt16 = 0, _ body: (SupervisedProcess, Int32, ConnectionKeeper, UInt16) async throws -> Void
    ) async throws {
        let port = try freedLoopbackPort()
        let server = try await startServer(port)
        defer { server.send(SIGKILL) }
        let client = try await connected(port)
        defer { close(client) }
        let keeper = ConnectionKeeper()
        defer { keeper.release() }
        try keeper.watch(pid: server.pid, port: port &+ watchingOffset)
        try keeper.sync()
        try await body(server, client, keeper, port)
    }

    private func startServer(_ port: UInt16) async throws -> SupervisedProcess {
        let python = try #require(Executables.search("python3"), "no python3 on PATH (scripts/install-deps.sh installs it)")
        let server = try await SupervisedProcess.start(
            name: "echo", executable: python, arguments: ["-c", Self.server, String(port)],
            environment: ProcessInfo.processInfo.environment, logger: logger
        )
        let listening = await Readiness.poll(timeout: .seconds(10), interval: .milliseconds(10)) {
            await Readiness.acceptingTCP(host: "127.0.0.1", port: port)
        }
        try #require(listening, "the echo server did not listen on \(port)")
        return server
    }

    /// A client connection the server has accepted and answered (one byte echoed).
    private func connected(_ port: UInt16) async throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopbackAddress(port)
        let made = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard made == 0, send(fd, "a") == 1 else {
            close(fd)
            throw Errno.last
        }
        var byte: UInt8 = 0
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 5000) == 1, recv(fd, &byte, 1, 0) == 1, byte == UInt8(ascii: "a") else {
            close(fd)
            throw Errno.timedOut
        }
        return fd
    }

    private func send(_ fd: Int32, _ text: String) -> Int {
        Glibc.send(fd, text, text.utf8.count, Int32(MSG_NOSIGNAL))
    }

    enum End: Equatable { case closed, reset }

    /// How the connection ended within `milliseconds`, or nil if it did not.
    private func ended(_ fd: Int32, within milliseconds: Int32) -> End? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN) | 0x2000, revents: 0)  // POLLRDHUP, a GNU name Glibc's module leaves out
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let got = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if got == 0 { return .closed }
        return got < 0 && errno == ECONNRESET ? .reset : nil
    }
}
