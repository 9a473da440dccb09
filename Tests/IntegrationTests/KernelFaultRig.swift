import Foundation
import Testing
import TestSupport

/// The faults the kernel-client tests put the server through (issue 19, item 2).
enum KernelFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// Ganesha SIGKILLed; share-manager restarts it in place.
    case ganeshaKilled = "Ganesha SIGKILL"
    /// share-manager and Ganesha SIGKILLed; a fresh instance serves the volume from another mount point.
    case bothKilled = "share-manager + Ganesha SIGKILL"
    /// share-manager SIGTERMed (an orderly handoff); a fresh instance takes over.
    case handoff = "SIGTERM handoff"

    var testDescription: String { rawValue }
}

/// Lease and grace for the kernel-client tests. They check what clients keep, not how long
/// grace lasts at the defaults, so they run at Lease 10 / Grace 30 (a fault then costs
/// seconds, not tens of seconds); docs/kernel-client.md's table at 60/90 comes from
/// SHARE_MANAGER_KERNEL_LEASE=60 SHARE_MANAGER_KERNEL_GRACE=90.
enum KernelTimings {
    static var lease: Int { setting("SHARE_MANAGER_KERNEL_LEASE", 10) }
    static var grace: Int { setting("SHARE_MANAGER_KERNEL_GRACE", 30) }

    private static func setting(_ name: String, _ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? fallback
    }
}

/// The share-manager instances of one volume across a fault, each stopped by PID at the end.
final class KernelFaultRig {
    private(set) var sm: ShareManagerUnderTest
    private(set) var server: ChildProcess
    private var instances: [ChildProcess]
    private let nodeB: ShareManagerUnderTest

    init(_ sm: ShareManagerUnderTest) async throws {
        self.sm = sm
        nodeB = try sm.onAnotherNode("node-b")
        server = try sm.start(name: "node-a")
        instances = [server]
        guard await sm.waitUntilReady(server) else {
            await server.stop()
            throw FixtureError("share-manager did not become ready:\n\(server.output)")
        }
    }

    /// Runs `body`, then stops every instance by PID and removes what a killed one left.
    func stoppingAll<T>(_ body: () async throws -> T) async throws -> T {
        defer { SystemState.forceCleanup(mountPoint: nodeB.mountPoint, image: nodeB.image) }
        do {
            let result = try await body()
            for process in instances.reversed() { await process.stop() }
            return result
        } catch {
            for process in instances.reversed() { await process.stop() }
            throw error
        }
    }

    /// Applies `fault` and returns once a server answers /readyz again.
    func apply(_ fault: KernelFault) async throws {
        switch fault {
        case .ganeshaKilled:
            let old = try liveGanesha()
            kill(old, SIGKILL)
            let back = await SocketProbe.waitUntil(timeout: .seconds(60)) { [self] in
                guard let pid = try? liveGanesha(), pid != old else { return false }
                return await sm.get("/readyz").status == 200
            }
            guard back else { throw FixtureError("Ganesha was not restarted in place:\n\(server.output)") }
        case .bothKilled:
            // share-manager first: killed second, it could start another Ganesha in between.
            let ganesha = try liveGanesha()
            server.signal(SIGKILL)
            kill(ganesha, SIGKILL)
            try await handOver()
        case .handoff:
            server.signal(SIGTERM)
            try await handOver()
        }
    }

    /// SIGTERM, and a fresh instance of the same node once the old one is gone: a handoff
    /// whose new instance starts with a restart budget of its own. Returns the seconds from
    /// the signal to the old instance's exit and to the new one's readiness.
    func restartOnSameNode() async throws -> (exited: Double, ready: Double) {
        let signalled = ContinuousClock.now
        server.signal(SIGTERM)
        guard await server.wait(timeout: .seconds(20)) != nil else { throw FixtureError("share-manager outlived its SIGTERM by 20 s") }
        let exited = (ContinuousClock.now - signalled).inSeconds
        try await detachOldInstance()
        server = try sm.start(name: "\(sm.node)-\(instances.count)")
        instances.append(server)
        guard await sm.waitUntilReady(server) else { throw FixtureError("the fresh instance did not become ready:\n\(server.output)") }
        return (exited, (ContinuousClock.now - signalled).inSeconds)
    }

    /// The old instance gone, its mount and loop device removed (a Pod's volume detach), a
    /// fresh instance on the same NFS port as on another node.
    private func handOver() async throws {
        guard await server.wait(timeout: .seconds(20)) != nil else { throw FixtureError("share-manager outlived its signal by 20 s") }
        try await detachOldInstance()
        sm = nodeB
        server = try nodeB.start(name: "node-b")
        instances.append(server)
        guard await nodeB.waitUntilReady(server) else { throw FixtureError("the fresh instance did not become ready:\n\(server.output)") }
    }

    /// The old instance's mount and loop device removed, as a Pod's volume detach does (the
    /// kernel lets a loop device go only at its last close, which can come late).
    private func detachOldInstance() async throws {
        SystemState.forceCleanup(mountPoint: sm.mountPoint, image: sm.image)
        let detached = await SocketProbe.waitUntil(timeout: .seconds(30)) { [sm] in
            !SystemState.isMounted(sm.mountPoint) && SystemState.loopDevices(backing: sm.image).isEmpty
        }
        guard detached else { throw FixtureError("the old instance's loop device stayed attached") }
    }

    /// Ganesha's pid, checked against /proc so a stale pid file never sends SIGKILL elsewhere.
    private func liveGanesha() throws -> pid_t {
        let pid = try sm.ganeshaPid()
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        guard comm.hasPrefix("ganesha.nfsd") else { throw FixtureError("pid file names \(pid), which is not Ganesha (\(comm))") }
        return pid
    }

    /// The export's folder as the server's filesystem holds it.
    var exportPath: String { sm.mountPoint + "/data" }
}

/// The probe's data file as the server holds it: how many leading blocks are intact.
/// Block i's bytes follow probe.c's fill_block.
func intactBlocks(_ path: String) throws -> (blocks: Int, intact: Int) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let blocks = bytes.count / 4096
    let intact = (0..<blocks).filter { i in
        let n = UInt64(i)
        return (0..<4096).allSatisfy { j in
            let want = j < 8 ? UInt8(truncatingIfNeeded: n >> (8 * UInt64(j))) : UInt8(truncatingIfNeeded: n &* 7 &+ UInt64(j))
            return bytes[i * 4096 + j] == want
        }
    }.count
    return (blocks, intact)
}
