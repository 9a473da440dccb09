import RunSettings
import DBusKit
import FoundationEssentials
import GaneshaConfig
import ChildProcesses
import VolumeDevice

extension Lifecycle {
    /// Ganesha's D-Bus policy, which a private bus includes. Also asked before the device is
    /// touched when no bus is given, so that a missing package stops the start before a
    /// blank volume is formatted or mounted.
    func ganeshaBusPolicy() throws -> SafePath {
        do {
            return try GaneshaBusPolicy.locate()
        } catch {
            throw StartupError.busDidNotStart(error.description)
        }
    }

    /// Uses the bus named by DBUS_SYSTEM_BUS_ADDRESS when it answers; otherwise starts a private
    /// one (a Pod has no system bus). A bus we started is stopped again if it does not come up;
    /// one that exits is reported at once, with its last lines, not at the timeout.
    func startBus() async throws -> (address: String, process: SupervisedProcess?) {
        if let given = ProcessInfo.processInfo.environment["DBUS_SYSTEM_BUS_ADDRESS"],
           let probe = try? await DBusConnection.connect(address: given, timeout: .seconds(2)) {
            probe.close()
            logger.info("using the D-Bus system bus at \(given)")
            return (given, nil)
        }
        let policy = try ganeshaBusPolicy()
        let busDir = try SafePath(validating: layout.busDirectory, flag: "state-dir")
        do {
            // Inside the private state dir; a folder left from an insecure past is refused.
            try TrustedPath.prepare(busDir.value, flag: "state-dir", last: .privateDirectory)
            try? FileManager.default.removeItem(atPath: layout.busSocket)
            try AtomicFile.write(templates.renderBusConfig(runDirectory: busDir, ganeshaPolicy: policy), to: layout.busConfig)
        } catch {
            throw StartupError.stateDir(busDir.value, "\(error)")
        }
        let bus = try await SupervisedProcess.start(
            name: "dbus-daemon", executable: Executables.find("dbus-daemon"),
            arguments: ["--nofork", "--nopidfile", "--nosyslog", "--config-file=\(layout.busConfig)"],
            environment: ChildEnvironment.make(), logger: logger
        )
        let up = await Readiness.poll(timeout: .seconds(10), interval: .milliseconds(5)) {
            guard bus.isRunning else { return true }
            return Readiness.acceptsUnix(path: layout.busSocket)
        }
        if let report = await bus.exitReport() {
            throw StartupError.busDidNotStart(report)
        }
        guard up else {
            await bus.terminate(grace: .seconds(2))
            throw StartupError.busDidNotStart("its socket did not accept connections within 10 s")
        }
        logger.info("private D-Bus system bus started", metadata: [
            "pid": "\(bus.pid)", "socket": "\(layout.busSocket)", "ganeshaPolicy": "\(policy)",
        ])
        return (layout.busAddress, bus)
    }
}
