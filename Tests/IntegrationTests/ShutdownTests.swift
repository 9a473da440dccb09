import Foundation
import Testing
import TestSupport

/// SIGTERM under load, and what happens when the orderly stop cannot finish: the timeout or
/// a second signal escalates to SIGKILL and a lazy unmount, never a hang.
@Suite("shutdown: orderly within the timeout, escalated when it cannot be", .serialized, .timeLimit(.minutes(5)))
struct ShutdownTests {
    @Test("SIGTERM while a client writes: exit 0 within the timeout, volume released, the writer reclaims on the next instance", .realParts())
    func sigtermUnderWriteLoad() async throws {
        try await withImage(prefix: "sm-sd1") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-sd1", dir: dir, image: image)
            sm.gracePeriod = 60
            sm.leaseLifetime = 10
            sm.extra = ["--shutdown-timeout", "10"]
            let first = try await ShutdownRig.startServed(sm, name: "first")
            let writer = try ShutdownRig.startWriter(sm, name: "writer")
            try await stoppingAfterwards(writer.process) {
                try await stoppingAfterwards(first) {
                    try #require(await writer.wait(for: "writing", timeout: .seconds(30)) != nil, "\(writer.events)")
                    // Half a second of writes in flight: the load the stop is tested under.
                    try await Task.sleep(for: .milliseconds(500))
                    let asked = ContinuousClock.now
                    first.signal(SIGTERM)
                    let status = await first.wait(timeout: .seconds(30))
                    let took = ContinuousClock.now - asked
                    print("SIGTERM under write load: exit \(String(describing: status)) after \(took)")
                    #expect(status == 0, "\(first.output)")
                    #expect(took < .seconds(10), "the orderly stop took \(took), more than --shutdown-timeout")
                    #expect(first.output.contains("Ganesha stopped"))
                    #expect(!first.output.contains("shutdown escalated"), "\(first.output)")
                }
                #expect(!SystemState.isMounted(sm.mountPoint), "still mounted after exit")
                #expect(SystemState.loopDevices(backing: image).isEmpty, "loop device left attached")
                let lost = try #require(await writer.wait(for: "server-lost", timeout: .seconds(15)), "\(writer.events)")
                #expect((lost["committed"] as? Int ?? 0) > 0, "the writer never had a write acknowledged")

                let second = try await ShutdownRig.startServed(sm, name: "second")
                try await stoppingAfterwards(second) {
                    let store = second.output.split(separator: "\n").first { $0.contains("recovery store checked") }
                    #expect(store?.contains("records=1") == true, "the writer's record did not survive: \(String(describing: store))")
                    let reclaimed = try #require(await writer.wait(for: "reclaimed", timeout: .seconds(60)), "\(writer.events)")
                    #expect(reclaimed["open"] as? String == "NFS4_OK", "\(writer.events)")
                    let intact = await writer.wait(for: "data-intact", timeout: .seconds(30))
                    #expect(intact?["ok"] as? Bool == true, "acknowledged bytes did not read back: \(writer.events)")
                }
            }
        }
    }

    @Test("a Ganesha that cannot stop (SIGSTOPped): after --shutdown-timeout 2 it is killed, the volume lazily unmounted, exit 1", .realParts())
    func escalationAfterTimeout() async throws {
        try await withImage(prefix: "sm-sd2") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-sd2", dir: dir, image: image)
            sm.extra = ["--shutdown-timeout", "2"]
            let server = try await ShutdownRig.startServed(sm, name: "server")
            let ganesha = try sm.ganeshaPid()
            let bus = try sm.busPid()
            try await stoppingAfterwards(server) {
                try await ProcessTable.stop(ganesha)
                let asked = ContinuousClock.now
                server.signal(SIGTERM)
                let status = await server.wait(timeout: .seconds(30))
                let took = ContinuousClock.now - asked
                print("escalation after --shutdown-timeout 2: exit \(String(describing: status)) after \(took)")
                #expect(status == 1, "\(server.output)")
                #expect(took >= .milliseconds(1900), "escalated before the timeout: \(took)")
                #expect(took < .seconds(6), "escalation took \(took)")
                #expect(server.output.contains("shutdown escalated after 2 s: Ganesha killed"), "\(server.output)")
                #expect(server.output.contains("volume lazily unmounted"), "\(server.output)")
            }
            try await ShutdownRig.expectNothingLeft(sm, image: image, pids: [ganesha, bus])
        }
    }

    @Test("a second SIGTERM escalates at once, long before the timeout", .realParts())
    func secondSignalEscalates() async throws {
        try await withImage(prefix: "sm-sd3") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-sd3", dir: dir, image: image)
            sm.extra = ["--shutdown-timeout", "30"]
            let server = try await ShutdownRig.startServed(sm, name: "server")
            let ganesha = try sm.ganeshaPid()
            let bus = try sm.busPid()
            try await stoppingAfterwards(server) {
                try await ProcessTable.stop(ganesha)
                let asked = ContinuousClock.now
                server.signal(SIGTERM)
                // What is tested is that nothing happens: still stopping half a second later.
                try await Task.sleep(for: .milliseconds(500))
                #expect(server.isRunning, "one SIGTERM must not escalate")
                server.signal(SIGTERM)
                let status = await server.wait(timeout: .seconds(30))
                let took = ContinuousClock.now - asked
                print("second SIGTERM: exit \(String(describing: status)) after \(took)")
                #expect(status == 1, "\(server.output)")
                #expect(took < .seconds(5), "the second signal did not cut the stop short: \(took)")
                #expect(server.output.contains("shutdown escalated by a second signal (SIGTERM)"), "\(server.output)")
            }
            try await ShutdownRig.expectNothingLeft(sm, image: image, pids: [ganesha, bus])
        }
    }
}

/// What the shutdown and bus tests share.
enum ShutdownRig {
    static var writerScript: String {
        TestEnvironment.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Tools/nfs41_writer.py").path
    }

    static func startServed(_ sm: ShareManagerUnderTest, name: String) async throws -> ChildProcess {
        let process = try sm.start(name: name)
        guard await sm.waitUntilReady(process) else {
            let output = process.output
            await process.stop()
            Issue.record("\(name) never became ready:\n\(output)")
            throw POSIXError(.ETIMEDOUT)
        }
        return process
    }

    /// `Tools/nfs41_writer.py` writing `stream.bin` without pause.
    static func startWriter(_ sm: ShareManagerUnderTest, name: String) throws -> ReclaimClient {
        let argv = ["/usr/bin/python3", writerScript, "--server", "127.0.0.1", "--port", String(sm.nfsPort),
                    "--export", sm.volume, "--file", "stream.bin", "--owner", name]
        return ReclaimClient(process: try ChildProcess(argv, logDirectory: sm.dir.path, name: name))
    }

    /// After an escalation: no mount, no loop device (a busy one detaches itself once the
    /// lazily unmounted filesystem lets go, hence the short wait), no child left running.
    static func expectNothingLeft(_ sm: ShareManagerUnderTest, image: String, pids: [pid_t]) async throws {
        #expect(!SystemState.isMounted(sm.mountPoint), "still mounted")
        #expect(await eventually(within: .seconds(10)) { SystemState.loopDevices(backing: image).isEmpty },
                "loop device left attached: \(SystemState.loopDevices(backing: image))")
        for pid in pids {
            #expect(await eventually(within: .seconds(10)) { ProcessTable.isGone(pid) }, "pid \(pid) still runs")
        }
    }

    static func eventually(within limit: Duration, _ check: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if await check() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await check()
    }
}

enum ProcessTable {
    /// Gone, or a zombie nobody reaped yet (it runs no more either way).
    static func isGone(_ pid: pid_t) -> Bool {
        guard let state = state(of: pid) else { return true }
        return state == "Z"
    }

    /// SIGSTOP, then waits until the process is stopped. The signal goes to one thread,
    /// which stops the others only once it runs: on a busy machine the rest of Ganesha
    /// could meanwhile act on what the test does next (e.g. exit when its bus goes).
    static func stop(_ pid: pid_t) async throws {
        kill(pid, SIGSTOP)
        let stopped = await ShutdownRig.eventually(within: .seconds(10)) { state(of: pid) == "T" }
        try #require(stopped, "pid \(pid) did not stop: state \(String(describing: state(of: pid)))")
    }

    /// The one-letter state from /proc/PID/stat, nil when there is no such process.
    static func state(of pid: pid_t) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")  // the command name may hold spaces and parentheses
        else { return nil }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    }
}

extension ShareManagerUnderTest {
    /// The private bus daemon's pid, which share-manager writes to `<state-dir>/dbus.pid`.
    func busPid() throws -> pid_t {
        let text = try String(contentsOfFile: stateDir + "/dbus.pid", encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw POSIXError(.ESRCH) }
        return pid
    }
}
