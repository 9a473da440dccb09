import Foundation
import GaneshaConfig
import Logging
import RunSettings
import ServiceLifecycle
@testable import Supervisor
import SupervisorInterface
import Testing
import TestSupport

/// The supervisor in-process with real parts (a loop image, a private bus, ganesha.nfsd),
/// driven as the composition root drives it: a ServiceGroup runs it, the test asks it what
/// the probes and the control API would, and a graceful shutdown stops it in order.
@Suite("supervisor in-process: start, export off and on, orderly stop", .serialized, .timeLimit(.minutes(3)),
       .needs(.root, .tools(["ganesha.nfsd", "dbus-daemon", "losetup", "mkfs.ext4", "blkid", "wipefs"])))
struct SupervisorLifecycleTests {
    @Test("serves an ext4 loop image, takes the export offline and back through the one path, stops with exit code 0")
    func startExportStop() async throws {
        let rig = try SupervisorRig(prefix: "sm-sup")
        defer { rig.cleanUp() }
        let supervisor = Supervisor(options: try rig.options(), templates: try rig.templates(), version: "test", logger: rig.logger)
        var configuration = ServiceGroupConfiguration(services: [.init(service: SupervisorService(supervisor))], logger: rig.logger)
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        await supervisor.onStopRequest { await group.triggerGracefulShutdown() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try #require(await rig.waitUntil(within: .seconds(60)) { await supervisor.healthFacts().phase == .serving })

            let serving = await supervisor.status()
            #expect(serving.export.active == true && !serving.export.offline, "\(serving)")
            let ready = await supervisor.readinessFacts()
            #expect(ready.export == .active && ready.nfsAnswers, "\(ready)")
            #expect(await supervisor.healthFacts().ganeshaRunning)

            let off = try await supervisor.setExport(online: false)
            #expect(off.message.contains("removed"), "\(off)")
            let offline = await supervisor.status()
            #expect(offline.export.active == false && offline.export.offline)
            #expect(await supervisor.readinessFacts().exportOffline)
            #expect(try await supervisor.setExport(online: false).message.contains("stays offline"))

            let on = try await supervisor.setExport(online: true)
            #expect(on.message.contains("active again"), "\(on)")
            let online = await supervisor.status()
            #expect(online.export.active == true && !online.export.offline)

            let sample = await supervisor.metricsSample()
            #expect(sample.exportsActive == 1)
            #expect(sample.space.map { $0.sizeBytes > 0 } == true)

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(await supervisor.exitCode == 0)
        #expect(await supervisor.healthFacts().phase == .stopping)
        #expect(!rig.isMounted, "the volume is still mounted after the orderly stop")
        #expect(rig.attachedLoops.isEmpty, "loop device left attached: \(rig.attachedLoops)")
    }
}

/// A temp dir with a blank image, options that serve it on loopback (Ganesha picks its
/// port), and the clean-up that undoes whatever a failed test left behind.
struct SupervisorRig {
    let dir: TemporaryDirectory
    var image: String { dir.file("volume.img") }
    var mountPoint: String { dir.file("mnt") }
    let logger = { var logger = Logger(label: "supervisor-test"); logger.logLevel = .notice; return logger }()

    init(prefix: String) throws {
        dir = try TemporaryDirectory(prefix: prefix)
        try runCommand(["truncate", "-s", "64M", image])
    }

    func options() throws -> ResolvedOptions {
        let state = try SafePath(validating: dir.file("state"), flag: "state-dir")
        let ganesha = GaneshaSettings(
            volume: try VolumeName(validating: "vol-sup"), nfsAddress: try NetworkAddress(validating: "127.0.0.1", flag: "nfs-address"),
            nfsPort: 0, gracePeriod: 10, leaseLifetime: 10,
            exportPath: try SafePath(validating: mountPoint, flag: "mount-point"),
            recoveryRoot: try SafePath(validating: dir.file("recovery"), flag: "recovery-dir"))
        try FileManager.default.createDirectory(atPath: state.value, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return ResolvedOptions(
            device: image, mountPoint: try SafePath(validating: mountPoint, flag: "mount-point"), stateDir: state,
            httpAddress: try NetworkAddress(validating: "127.0.0.1", flag: "http-address"), httpPort: 0, fsType: .ext4,
            mkfsOptions: [], mountOptions: [], trimInterval: 0, shutdownTimeout: .seconds(10), logFormat: .text,
            ganesha: ganesha, control: ControlSettings(socket: try SafePath(validating: state.appending("control.sock"), flag: "control-socket")),
            warnings: [])
    }

    func templates() throws -> TemplateSet {
        try TemplateSet(directory: TestEnvironment.repositoryRoot.appendingPathComponent("ganesha-templates").path)
    }

    /// Checks `condition` every 50 ms until it holds or `limit` passes.
    func waitUntil(within limit: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    var isMounted: Bool {
        (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8))?
            .split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first.map(String.init) == mountPoint } ?? false
    }

    var attachedLoops: String {
        (try? runCommand(["losetup", "-j", image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
    }

    func cleanUp() {
        if isMounted { _ = try? runCommand(["umount", "-l", mountPoint]) }
        for line in attachedLoops.split(separator: "\n") {
            if let device = line.split(separator: ":").first { _ = try? runCommand(["losetup", "-d", String(device)]) }
        }
        dir.remove()
    }
}
