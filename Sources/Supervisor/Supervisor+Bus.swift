import ChildProcesses
import DBusKit
import FoundationEssentials
import GaneshaConfig
import RunSettings
import VolumeDevice

/// Which bus Ganesha uses: the one DBUS_SYSTEM_BUS_ADDRESS names, or a private one of ours.
enum BusSettings {
    static var givenAddress: String? { ProcessInfo.processInfo.environment["DBUS_SYSTEM_BUS_ADDRESS"] }

    struct Started: Sendable {
        var address: String
        /// Nil for a bus that is not ours.
        var process: SupervisedProcess?
    }
}

extension Supervisor {
    /// Ganesha's D-Bus policy, which a private bus includes. Also asked before the device is
    /// touched when no bus is given, so that a missing package stops the start before a
    /// blank volume is formatted or mounted.
    nonisolated func ganeshaBusPolicy() throws(StartupError) -> SafePath {
        do {
            return try GaneshaBusPolicy.locate()
        } catch {
            throw .busDidNotStart(error.description)
        }
    }

    /// Uses the bus named by DBUS_SYSTEM_BUS_ADDRESS when it answers; otherwise starts a private
    /// one (a Pod has no system bus). A bus we started is stopped again if it does not come up;
    /// one that exits is reported at once, with its last lines, not at the timeout.
    nonisolated func startBus() async throws(StartupError) -> BusSettings.Started {
        if let given = BusSettings.givenAddress {
            // No answer means "start our own": the error itself says nothing more to act on.
            if let probe = try? await DBusConnection.connect(address: given, timeout: .seconds(2)) {
                probe.close()
                logger.info("using the D-Bus system bus at \(given)")
                return .init(address: given, process: nil)
            }
        }
        let policy = try ganeshaBusPolicy()
        let busDir: SafePath
        do {
            busDir = try SafePath(validating: layout.busDirectory, flag: "state-dir")
            // Inside the private state dir; a folder left from an insecure past is refused.
            try TrustedPath.prepare(busDir.value, flag: "state-dir", last: .privateDirectory)
            // A socket left from an earlier run; absent is the usual case.
            try? FileManager.default.removeItem(atPath: layout.busSocket)
            try AtomicFile.write(templates.renderBusConfig(runDirectory: busDir, ganeshaPolicy: policy), to: layout.busConfig)
        } catch {
            throw .stateDir(layout.busDirectory, "\(error)")
        }
        let bus: SupervisedProcess
        do {
            bus = try await SupervisedProcess.start(
                name: "dbus-daemon", executable: Executables.find("dbus-daemon"),
                arguments: ["--nofork", "--nopidfile", "--nosyslog", "--config-file=\(layout.busConfig)"],
                environment: ChildEnvironment.make(), logger: logger
            )
        } catch {
            throw .busDidNotStart("\(error)")
        }
        let socket = layout.busSocket
        let up = await Readiness.poll(timeout: .seconds(10), interval: .milliseconds(5)) {
            guard bus.isRunning else { return true }
            return await Readiness.acceptingUnix(path: socket)
        }
        if let report = await bus.exitReport() {
            throw .busDidNotStart(report)
        }
        guard up else {
            await bus.terminate(grace: .seconds(2))
            throw .busDidNotStart("its socket did not accept connections within 10 s")
        }
        logger.info("private D-Bus system bus started", metadata: [
            "pid": .stringConvertible(bus.pid), "socket": "\(layout.busSocket)", "ganeshaPolicy": "\(policy)",
        ])
        return .init(address: layout.busAddress, process: bus)
    }

    /// `startBus` as a value, for `async let` (which loses the error's type).
    nonisolated func startBusResult() async -> Result<BusSettings.Started, StartupError> {
        do throws(StartupError) { return .success(try await startBus()) } catch { return .failure(error) }
    }

    /// Reports the private bus's exit as an event, and writes its pid for operators and
    /// tests (the daemon runs with --nopidfile).
    func watch(bus: SupervisedProcess) {
        do {
            try AtomicFile.write("\(bus.pid)\n", to: layout.busPidFile)
        } catch {
            logger.warning("cannot write \(layout.busPidFile): \(error)")
        }
        bus.onExit { [sink, pid = bus.pid] in sink.yield(.busExited(pid: pid, how: "\($0)")) }
    }
}
