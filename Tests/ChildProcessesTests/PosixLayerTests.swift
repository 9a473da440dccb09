import ChildProcesses
import Foundation
import Glibc
import LinuxSupport
import Logging
import NIOCore
import NIOPosix
import Synchronization
import SystemPackage
import Testing

@Suite("The POSIX layer: errno, file calls, deadlines, readiness probes", .timeLimit(.minutes(1)))
struct PosixLayerTests {
    @Test("a failed call throws its errno, typed")
    func errnoIsTyped() {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try retryingInterrupts { open("/nonexistent/sm-posix", O_RDONLY) }
        }
        let failure = #expect(throws: SystemCallError.self) {
            try SystemCalls<SystemCallError>.readFile("/nonexistent/sm-posix")
        }
        #expect(failure == SystemCallError("open", path: "/nonexistent/sm-posix", errno: .noSuchFileOrDirectory))
        #expect(failure?.description == "open /nonexistent/sm-posix failed: No such file or directory")
    }

    @Test("/proc files, which report size 0, are read to their end")
    func procFile() throws {
        let status = try SystemCalls<SystemCallError>.readFile("/proc/self/status")
        #expect(status.hasPrefix("Name:"))
        #expect(status.contains("VmRSS:"))
    }

    @Test("a folder lists sorted without . and .., and a missing one is nil")
    func folderEntries() throws {
        let folder = NSTemporaryDirectory() + "sm-posix-\(UUID().uuidString)"
        try SystemCalls<SystemCallError>.makeFolders(folder + "/b", mode: 0o700)
        try SystemCalls<SystemCallError>.makeFolders(folder + "/a", mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(SystemCalls<SystemCallError>.folderEntries(folder) == ["a", "b"])
        #expect(SystemCalls<SystemCallError>.folderEntries(folder + "/missing") == nil)
    }

    @Test("a deadline returns the value when it comes in time")
    func deadlineInTime() async {
        #expect(await Deadline.value(of: Task { 42 }, within: .seconds(30)) == 42)
    }

    @Test("a late task is abandoned: nil comes back while it still runs")
    func deadlineAbandons() async {
        let release = AsyncStream.makeStream(of: Void.self)
        let task = Task { for await _ in release.stream {}; return 1 }
        #expect(await Deadline.value(of: task, within: .milliseconds(50)) == nil)
        release.continuation.finish()
        #expect(await task.value == 1)
    }

    @Test("blocking work that does not return in time is left on its own thread")
    func deadlineBlocking() async {
        let gate = DispatchSemaphore(value: 0)
        #expect(await Deadline.blocking(within: .milliseconds(50), threadName: "sm-test") { gate.wait(); return 1 } == nil)
        gate.signal()
        #expect(await Deadline.blocking(within: .seconds(30), threadName: "sm-test") { 2 } == 2)
    }

    @Test("readiness probes see a TCP listener come and go, off the cooperative pool")
    func tcpReadiness() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        #expect(await Readiness.acceptingTCP(host: "127.0.0.1", port: UInt16(port)))
        try await channel.close()
        // A closed listener's port could be taken by a test running alongside; a port held
        // bound without listening cannot, and refuses every connect.
        let held = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(held) }
        #expect(try SocketAddress(ipAddress: "127.0.0.1", port: 0).withSockAddr { bind(held, $0, socklen_t($1)) } == 0)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(held, $0, &length) } }
        let refusing = UInt16(bigEndian: bound.sin_port)
        #expect(refusing != 0)
        #expect(await !Readiness.acceptingTCP(host: "127.0.0.1", port: refusing))
        #expect(await !Readiness.acceptingTCP(host: "not-an-address", port: UInt16(port)))
    }

    @Test("readiness probes see a unix listener, and refuse a path too long for one")
    func unixReadiness() async throws {
        let path = NSTemporaryDirectory() + "sm-\(UUID().uuidString.prefix(8)).sock"
        #expect(await !Readiness.acceptingUnix(path: path))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        defer { unlink(path) }
        #expect(await Readiness.acceptingUnix(path: path))
        try await channel.close()
        #expect(await !Readiness.acceptingUnix(path: "/tmp/" + String(repeating: "x", count: 200)))
    }

    @Test("a bounded wait for a child's exit wakes at the exit, not at its bound")
    func exitWakesWaiter() async throws {
        let child = try await SupervisedProcess.start(
            name: "sleeper", executable: "/bin/sleep", arguments: ["30"], environment: [:], logger: Logger(label: "test"))
        #expect(await child.waitForExit(timeout: .milliseconds(50)) == nil)
        let started = ContinuousClock.now
        async let status = child.waitForExit(timeout: .seconds(40))
        child.send(SIGTERM)
        #expect(await status == .signalled(SIGTERM))
        // The bound is 40 s and the sleeper's own end 30 s away: only the exit can wake it this soon.
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
