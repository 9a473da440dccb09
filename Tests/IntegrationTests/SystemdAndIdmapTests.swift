import Foundation
import Testing
import TestSupport

/// share-manager as a systemd service (sd_notify over a real datagram socket) and its
/// ID-mapping settings as Ganesha and Prometheus see them.
@Suite("systemd notifications and the ID-mapping domain", .serialized, .timeLimit(.minutes(3)))
struct SystemdAndIdmapTests {
    @Test("READY=1 once serving and STOPPING=1 on SIGTERM reach NOTIFY_SOCKET; the idmap domain is rendered and exported", .realParts())
    func notifyAndIdmap() async throws {
        try await withImage(prefix: "sm-notify") { dir, image in
            let socket = try NotifySocket(path: dir.file("notify.sock"))
            defer { socket.close() }
            var sm = try ShareManagerUnderTest(volume: "vol-notify", dir: dir, image: image)
            sm.extra = ["--idmap-domain", "volumes.example.test", "--numeric-owners", "true"]
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = socket.path
            let process = try ChildProcess(sm.arguments, environment: environment, logDirectory: dir.path, name: "notify")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let ready = socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(5))
                #expect(ready.contains { $0.contains("READY=1") }, "got \(ready)")
                let config = try String(contentsOfFile: sm.stateDir + "/ganesha.conf", encoding: .utf8)
                #expect(config.contains("IdmapConf = \"\(sm.stateDir)/idmapd.conf\";"))
                #expect(config.contains("Only_Numeric_Owners = true;"))
                let idmapd = try String(contentsOfFile: sm.stateDir + "/idmapd.conf", encoding: .utf8)
                #expect(idmapd.contains("volumes.example.test"))
                let metrics = await sm.get("/metrics").body
                #expect(metrics.contains("share_manager_idmap_domain_info{volume=\"vol-notify\",domain=\"volumes.example.test\"} 1"), "\(metrics)")
                process.signal(SIGTERM)
                #expect(await process.wait(timeout: .seconds(15)) == 0)
                let stopping = socket.receive(until: { $0.contains("STOPPING=1") }, timeout: .seconds(2))
                #expect(stopping.contains { $0.contains("STOPPING=1") }, "got \(stopping)")
            }
        }
    }

    @Test(
        "STATUS= and the log name the port Ganesha bound with --nfs-port 0; WATCHDOG=1 stops while Ganesha is stopped (SIGSTOP) and resumes after SIGCONT",
        .realParts())
    func watchdogFollowsHealth() async throws {
        try await withImage(prefix: "sm-watchdog") { dir, image in
            let socket = try NotifySocket(path: dir.file("notify.sock"))
            defer { socket.close() }
            let sm = try ShareManagerUnderTest(volume: "vol-wdog", dir: dir, image: image)
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = socket.path
            environment["WATCHDOG_USEC"] = "1000000"  // a ping every 0.5 s
            let process = try ChildProcess(sm.arguments, environment: environment, logDirectory: dir.path, name: "watchdog")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let ready = socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(5))
                let port = sm.nfsPort
                try #require(port != 0, "no endpoint published")
                let url = "nfs://127.0.0.1:\(port)/vol-wdog"
                #expect(ready.contains { $0.contains("STATUS=serving \(url)") }, "got \(ready)")
                #expect(process.output.contains("serving \(url)"), "\(process.output)")
                let fed = socket.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(5))
                try #require(fed.contains("WATCHDOG=1"), "no ping while healthy: \(fed)")

                let pid = try sm.ganeshaPid()
                var continued = false
                defer { if !continued { kill(pid, SIGCONT) } }
                try await ProcessTable.stop(pid)
                // The heartbeat goes stale after 10 s; then STATUS= says so and the pings stop.
                let unhealthy = socket.receive(until: { $0.hasPrefix("STATUS=unhealthy") }, timeout: .seconds(20))
                try #require(unhealthy.last?.hasPrefix("STATUS=unhealthy") == true, "still fed: \(unhealthy.suffix(3))")
                #expect(await sm.get("/healthz").status == 503)
                // Eight ping periods with none: systemd would restart the service.
                let quiet = socket.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(4))
                #expect(!quiet.contains("WATCHDOG=1"), "pinged while Ganesha is stopped: \(quiet)")

                kill(pid, SIGCONT)
                continued = true
                let resumed = socket.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(15))
                #expect(resumed.contains("WATCHDOG=1"), "no ping after SIGCONT: \(resumed)")
                #expect(resumed.contains("STATUS=serving \(url)"), "\(resumed)")
            }
        }
    }
}

/// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Datagrams received until one satisfies `done` or `timeout` passes.
    func receive(until done: (String) -> Bool, timeout: Duration) -> [String] {
        var messages: [String] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let message = String(decoding: buffer[0..<n], as: UTF8.self)
            messages.append(message)
            if done(message) { break }
        }
        return messages
    }

    func close() { Glibc.close(fd) }
}
