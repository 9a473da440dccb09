import Dispatch
import Foundation
import Glibc
@testable import Supervisor
import Testing

@Suite("supervisor parts: restart budget, epochs, bounded blocking, socket tables, NULL probe")
struct SupervisorUnitTests {
    @Test("restarts: immediately, then 1, 2, 4, 8 s; the sixth death within 5 minutes gives up")
    func restartPolicy() {
        var policy = RestartPolicy()
        let start = ContinuousClock.now
        let delays = (0..<5).map { policy.recordDeath(at: start + .seconds($0)) }
        #expect(delays == [.zero, .seconds(1), .seconds(2), .seconds(4), .seconds(8)])
        #expect(policy.recordDeath(at: start + .seconds(6)) == nil)
    }

    @Test("deaths older than 5 minutes no longer count")
    func restartWindow() {
        var policy = RestartPolicy()
        let start = ContinuousClock.now
        for i in 0..<5 { _ = policy.recordDeath(at: start + .seconds(i)) }
        #expect(policy.recordDeath(at: start + .seconds(400)) == .zero)
    }

    @Test("every Ganesha start gets a later epoch than the last, also within one second or when the clock steps back")
    func epochs() {
        var counter = EpochCounter()
        #expect([100, 100, 100, 50, 200, 200].map { counter.next(now: $0) } == [100, 101, 102, 103, 200, 201])
        // Another instance's, recorded on the volume, counts too; a damaged one cannot stop a start.
        var fresh = EpochCounter()
        #expect(fresh.next(now: 100, recorded: 100) == 101)
        fresh = EpochCounter()
        #expect(fresh.next(now: 100, recorded: 90) == 100)
        fresh = EpochCounter()
        #expect(fresh.next(now: 100, recorded: .max) == 100)
    }

    @Test("durations in the escalation line read as whole seconds, or with tenths")
    func secondsText() {
        #expect(Supervisor.secondsText(.seconds(10)) == "10")
        #expect(Supervisor.secondsText(.milliseconds(2340)) == "2.3")
    }

    @Test("/proc/net/tcp rows: listening state, port and inode; addresses in both families")
    func socketTables() throws {
        let v4 = "   1: 0100007F:9E8B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0"
        let row = try #require(ListeningSockets.parse(row: v4[...]))
        #expect(row.address == "127.0.0.1" && row.port == 40587 && row.listening && row.inode == 123456)
        let established = v4.replacingOccurrences(of: " 0A ", with: " 01 ")
        #expect(ListeningSockets.parse(row: established[...])?.listening == false)
        #expect(ListeningSockets.address(hex: "00000000000000000000000001000000") == "::1")
        #expect(ListeningSockets.address(hex: "00000000") == "0.0.0.0")
        #expect(ListeningSockets.address(hex: "zz") == nil)
        #expect(ListeningSockets.parse(row: "garbage"[...]) == nil)
    }

    @Test("this process's own listening socket is found through /proc, and its start time read")
    func ownSocket() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        #expect(ListeningSockets.tcp(pid: getpid()).contains { $0.port == port && $0.address == "127.0.0.1" })
        #expect(ProcessStart.ticks(pid: getpid()).map { $0 > 0 } == true)
        #expect(ProcessStart.ticks(pid: -1) == nil)
    }

    @Test("the RPC NULL probe finds no answer on a closed port, off the cooperative pool")
    func nullProbeClosedPort() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // Bound but not listening: connections are refused.
        defer { close(fd) }
        #expect(await NFSNullProbe.answers(host: "127.0.0.1", port: UInt16(bigEndian: address.sin_port)) == false)
    }
}
