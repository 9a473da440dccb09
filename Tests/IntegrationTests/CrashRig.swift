import Foundation
import Testing
import TestSupport

/// What a crash-matrix round kills.
enum CrashKind: String, CaseIterable {
    case ganesha, shareManager = "share-manager", both
}

struct CrashMatrixFailure: Error, CustomStringConvertible {
    let description: String
}

/// One volume through the crash matrix. Every share-manager instance uses the same image,
/// mount point and state dir, as a container restarted in the same Pod would.
final class CrashRig {
    /// A fixed owner: each writer and verifier is the client the last instance recorded, so
    /// its RECLAIM_COMPLETE lifts grace early instead of a stale record holding it 5 s.
    static let owner = "crash-matrix-client"

    let sm: ShareManagerUnderTest
    private(set) var server: ChildProcess
    private(set) var instances: [ChildProcess]
    /// Ganesha deaths the current instance has restarted from.
    private(set) var ganeshaDeaths = 0
    private var clients: [ChildProcess] = []

    private init(sm: ShareManagerUnderTest, server: ChildProcess) {
        self.sm = sm
        self.server = server
        instances = [server]
    }

    static func start(_ sm: ShareManagerUnderTest) async throws -> CrashRig {
        let server = try sm.start(name: "share-manager-1")
        let rig = CrashRig(sm: sm, server: server)
        guard await sm.waitUntilReady(server) else {
            await server.stop()
            throw CrashMatrixFailure(description: "the first instance did not become ready:\n\(server.output)")
        }
        return rig
    }

    /// Runs `body`, then stops by PID whatever this rig started and is still running.
    func stoppingAll(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }

    private func stopAll() async {
        for process in clients + instances.reversed() { await process.stop() }
    }

    func startWriter(round: Int) throws -> ReclaimClient {
        let prefix = round < 10 ? "r0\(round)-" : "r\(round)-"
        let writer = try ReclaimClient.start("write-files", sm, name: "writer-\(round)", ["--owner", Self.owner, "--prefix", prefix])
        clients.append(writer.process)
        return writer
    }

    /// Kills what `kind` names and returns once the volume is ready again.
    func crash(_ kind: CrashKind, pause: Duration) async throws {
        switch kind {
        case .ganesha:
            let old = try liveGanesha()
            kill(old, SIGKILL)
            ganeshaDeaths += 1
            try await waitForRestartInPlace(replacing: old)
        case .shareManager:
            try await replaceInstance()
        case .both:
            kill(try liveGanesha(), SIGKILL)
            try await Task.sleep(for: pause)  // may land while share-manager restarts Ganesha
            try await replaceInstance()
        }
    }

    /// Ganesha's pid, checked against /proc so a stale pid file never sends SIGKILL elsewhere.
    private func liveGanesha() throws -> pid_t {
        let pid = try sm.ganeshaPid()
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        guard comm.hasPrefix("ganesha.nfsd") else {
            throw CrashMatrixFailure(description: "pid file names \(pid), which is not Ganesha (\(comm))")
        }
        return pid
    }

    /// /readyz may still answer 200 just after the kill, so a new pid comes first.
    private func waitForRestartInPlace(replacing old: pid_t) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && server.isRunning {
            if let pid = try? liveGanesha(), pid != old, await sm.get("/readyz").status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CrashMatrixFailure(description: "Ganesha was not restarted in place (share-manager running: \(server.isRunning)):\n\(server.output)")
    }

    private func replaceInstance() async throws {
        server.signal(SIGKILL)
        guard await server.wait(timeout: .seconds(15)) != nil else {
            throw CrashMatrixFailure(description: "share-manager outlived SIGKILL for 15 s")
        }
        try await waitForOrphansToDie()
        try await removeLeftovers()
        let fsck = try await runCommand(["e2fsck", "-n", "-f", sm.image])
        #expect(fsck.status == 0, "e2fsck after share-manager instance \(instances.count) was killed:\n\(fsck.stdout)\(fsck.stderr)")
        server = try sm.start(name: "share-manager-\(instances.count + 1)")
        instances.append(server)
        ganeshaDeaths = 0
        guard await sm.waitUntilReady(server) else {
            throw CrashMatrixFailure(description: "instance \(instances.count) did not become ready:\n\(server.output)")
        }
    }

    /// Ganesha and the bus die by PDEATHSIG; one that lingered would keep the mount busy.
    private func waitForOrphansToDie() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if orphans().isEmpty { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let left = orphans()
        for pid in left { kill(pid, SIGKILL) }
        throw CrashMatrixFailure(description: "processes of the killed instance survived it by 10 s: \(left)")
    }

    /// Live processes whose command line names this volume's state dir (zombies have none).
    private func orphans() -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return String(decoding: cmdline, as: UTF8.self).contains(sm.stateDir + "/")
        }
    }

    /// In a Pod the mount namespace, and the mount with it, goes away with the container and
    /// the loop device with the volume detach. Here both outlive the killed instance in the
    /// host's namespace, so the test does that part of the teardown: lazy unmount, detach.
    private func removeLeftovers() async throws {
        SystemState.forceCleanup(mountPoint: sm.mountPoint, image: sm.image)
        // The kernel finishes a detach after the last opener closes, in deferred work that a
        // loaded CI machine (the whole suite at once) can hold up for seconds.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !SystemState.isMounted(sm.mountPoint) && SystemState.loopDevices(backing: sm.image).isEmpty { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CrashMatrixFailure(description: "loop device still attached 30 s after the detach: \(SystemState.loopDevices(backing: sm.image))")
    }
}
