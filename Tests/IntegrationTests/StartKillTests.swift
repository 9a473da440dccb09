import Foundation
import Testing
import TestSupport

/// A Ganesha that dies during its own start, while share-manager waits for it to own its bus
/// name and listen: on 6.5 under load that wait lasts long enough for a client to reclaim
/// inside it, and a kill there once moved the clients' port for good (CI, issue 18).
@Suite("a Ganesha killed during its start", .serialized, .timeLimit(.minutes(4)))
struct StartKillTests {
    @Test("killed during a restart's start-up wait: the next Ganesha serves on the same port, and the client reclaims there", .realParts())
    func killedWhileStarting() async throws {
        try await withGatedServer("sk1") { sm, server, gate, port in
            let a = try ReclaimClient.start("hold", sm, name: "client-a", [
                "--file", "held.bin", "--owner", "client-a", "--write-bytes", "4096", "--duration", "120",
                "--renew", "1", "--reconnect-timeout", "60",
            ])
            try await stoppingAfterwards(a.process) {
                try #require(await a.wait(for: "holding", timeout: .seconds(30)) != nil, "\(a.events)")
                gate.holdNextStart()
                kill(try sm.ganeshaPid(), SIGKILL)
                let held = try #require(await gate.heldStart(), "no restart was held:\n\(sm.restartReport(server))")
                kill(held, SIGKILL)
                let reclaimed = await a.wait(for: "reclaimed", timeout: .seconds(60))
                #expect(reclaimed?["open"] as? String == "NFS4_OK", "reclaim: \(a.events)\n\(sm.restartReport(server))")
                #expect((try? Endpoint.read(sm.stateDir))?.port == port, "\(sm.restartReport(server))")
                #expect(server.output.contains("killed by signal 9 during start-up"), "\(server.output)")
                #expect(a.event("error") == nil, "\(a.events)")
            }
        }
    }

    @Test("its port taken by another process meanwhile: the next Ganesha picks another and publishes it", .realParts())
    func portTakenWhileStarting() async throws {
        try await withGatedServer("sk2") { sm, server, gate, port in
            gate.holdNextStart()
            kill(try sm.ganeshaPid(), SIGKILL)
            let held = try #require(await gate.heldStart(), "no restart was held:\n\(sm.restartReport(server))")
            let squatter = try PortSquatter(port: port)
            defer { squatter.close() }
            kill(held, SIGKILL)
            var moved: UInt16?
            _ = await SocketProbe.waitUntil(timeout: .seconds(60)) {
                moved = (try? Endpoint.read(sm.stateDir)).flatMap { $0.port != port ? $0.port : nil }
                return moved != nil
            }
            let now = try #require(moved, "endpoint.json still names the taken port \(port):\n\(sm.restartReport(server))")
            #expect(SocketProbe.tcpPortAccepts(now), "\(sm.restartReport(server))")
            #expect(server.output.contains("another process holds NFS port \(port)"), "\(server.output)")
            #expect(await sm.waitFor("/readyz", status: 200, timeout: .seconds(30)), "\(server.output)")
        }
    }
}

/// A served volume whose Ganesha starts through `gate`, with the NFS port it published first.
private func withGatedServer(
    _ name: String, _ body: (ShareManagerUnderTest, ChildProcess, GaneshaStartGate, UInt16) async throws -> Void
) async throws {
    try await withImage(prefix: "sm-\(name)") { dir, image in
        let gate = try GaneshaStartGate(in: dir)
        var sm = try ShareManagerUnderTest(volume: "vol-\(name)", dir: dir, image: image)
        sm.environment = gate.environment
        let server = try sm.start(name: "server")
        try await stoppingAfterwards(server) {
            try #require(await sm.waitUntilReady(server) && sm.nfsPort != 0, "never ready:\n\(server.output)")
            try await body(sm, server, gate, sm.nfsPort)
        }
    }
}

/// Another process's listener on 127.0.0.1:`port`, as when a port Ganesha picked was handed
/// to someone else while Ganesha was down.
private struct PortSquatter {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 1) == 0 else {
            let failure = errno
            if fd >= 0 { Glibc.close(fd) }
            throw FixtureError("cannot listen on 127.0.0.1:\(port): errno \(failure)")
        }
    }

    func close() { Glibc.close(fd) }
}
