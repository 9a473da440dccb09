import RunSettings
import Recovery
import SupervisorInterface
import DBusKit
import FoundationEssentials
import Glibc
import GaneshaConfig
import GaneshaControl
import Logging
import IDMapping
import ChildProcesses
import VolumeDevice

/// Why a run could not start; each says what to do next.
enum StartupError: Error, CustomStringConvertible {
    case stopped
    case stateDir(String, String)
    case busDidNotStart(String)
    case ganeshaDidNotStart(String)
    case exportFailed(String)

    var description: String {
        switch self {
        case .stopped: "stopped by a signal during start-up"
        case .stateDir(let path, let why): "cannot write the state directory \(path): \(why); check --state-dir"
        case .busDidNotStart(let why): "the private D-Bus daemon did not start: \(why)"
        case .ganeshaDidNotStart(let why): "Ganesha did not start: \(why); its earlier log lines above say more"
        case .exportFailed(let why): "Ganesha refused the export: \(why)"
        }
    }
}

extension Lifecycle {
    /// The device tools block; they get a thread of their own (see `BlockingExecutor`).
    static let deviceExecutor = BlockingExecutor(name: "sm-device")

    func startUp(_ started: Started, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation) async throws {
        let preparer = VolumePreparer(
            volume: options.volume.value, device: options.device ?? "", mountPoint: options.mountPoint.value,
            fsType: options.fsType, logger: logger, mkfsOptions: options.mkfsOptions,
            mountOptions: options.mountOptions, recoveryDir: options.recoveryDir?.value, readOnly: options.readOnly
        )
        if ProcessInfo.processInfo.environment["DBUS_SYSTEM_BUS_ADDRESS"] == nil { _ = try ganeshaBusPolicy() }
        // Neither the bus nor Ganesha's release depends on the volume: both while the device is prepared.
        async let startingBus = startBus()
        async let ganeshaVersion = detectGaneshaVersion()
        let volume: PreparedVolume
        do {
            volume = try await withTaskExecutorPreference(Self.deviceExecutor) { try await preparer.prepare() }
        } catch {
            started.bus = (try? await startingBus)?.process
            throw error
        }
        started.volume = volume
        await state.volumeMounted(volume)
        logger.info("volume mounted", metadata: [
            "device": "\(volume.devicePath)", "mountPoint": "\(volume.mountPoint)",
            "filesystem": "\(volume.filesystem.rawValue)", "formatted": "\(volume.formatted)",
            "adopted": "\(volume.adopted)",
        ])
        let bus = try await startingBus
        started.bus = bus.process
        started.busAddress = bus.address
        guard !stop.isRequested else { throw StartupError.stopped }

        await state.enter(.startingGanesha)
        notifier.status("starting Ganesha")
        var settings = try settings(for: volume)
        settings.ganeshaVersion = await ganeshaVersion
        started.settings = settings
        try checkRecoveryStore(at: settings.recoveryRoot.value)
        try await startGanesha(started, busAddress: bus.address, sink: sink)
        guard !stop.isRequested else { throw StartupError.stopped }
        try await addExport(started)
    }

    /// The export and recovery paths come from the prepared volume: an adopted filesystem is
    /// exported at its root and keeps its records in --recovery-dir; a read-only share cannot
    /// keep them on the volume at all.
    private func settings(for volume: PreparedVolume) throws -> GaneshaSettings {
        var settings = options.ganesha
        settings.exportPath = try SafePath(validating: volume.exportPath, flag: "mount-point")
        var recoveryRoot = volume.recoveryRoot
        if options.readOnly {
            recoveryRoot = options.recoveryDir?.value ?? layout.stateDir.appending("recovery")
            try FileManager.default.createDirectory(
                atPath: recoveryRoot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
            )
        }
        settings.recoveryRoot = try SafePath(validating: recoveryRoot, flag: "recovery-dir")
        return settings
    }

    /// Writes every file Ganesha reads from the settings in memory, before every start: a
    /// file on disk is never trusted to still say what was rendered (a swapped `export.conf`
    /// would otherwise be what a restarted Ganesha serves). A port Ganesha picked is pinned,
    /// so clients and the Service that points at it need not move.
    private func renderGaneshaFiles(_ started: Started) async throws {
        guard var settings = started.settings else { return }
        if options.ganesha.nfsPort == 0 { settings.nfsPort = await state.endpoint?.port ?? 0 }
        let rendered = templates.renderGanesha(settings)
        do {
            try AtomicFile.write(rendered.main, to: layout.ganeshaConfig)
            try AtomicFile.write(rendered.export, to: layout.exportConfig)
            if let domain = options.idmapDomain, let path = settings.idmapConfig {
                try AtomicFile.write(try IDMapDomain.renderConfig(domain: domain), to: path.value)
            }
        } catch {
            throw StartupError.stateDir(options.stateDir.value, "\(error)")
        }
        // Files owned by "nobody" on clients come from a domain mismatch: say which domain applies.
        do {
            let domain = try IDMapDomain.effective(configFile: settings.idmapConfig?.value)
            logger.info("NFSv4 ID-mapping domain", metadata: ["domain": "\(domain)", "numericOwners": "\(settings.numericOwners)"])
            await state.setIdmapDomain(domain)
        } catch {
            logger.warning("cannot tell the NFSv4 ID-mapping domain: \(error)")
        }
    }

    /// Creates or checks Ganesha's recovery store before Ganesha reads it.
    private func checkRecoveryStore(at root: String) throws {
        let report: RecoveryStore.Report
        do {
            report = try RecoveryStore(root: root, logger: logger).prepare()
        } catch {
            throw StartupError.stateDir(root, "cannot create the recovery store: \(error)")
        }
        state.grace.watch(recoveryRoot: root)
        logger.info("recovery store checked", metadata: [
            "root": "\(root)", "records": "\(report.records)", "quarantined": "\(report.quarantined.count)",
        ])
    }

    func startGanesha(
        _ started: Started, busAddress: String, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async throws {
        try? FileManager.default.removeItem(atPath: layout.ganeshaPidFile)
        // Every start, not only the first: a crash during an in-place restart's grace period
        // leaves the records the merge repairs, and each start needs an epoch of its own.
        let store = started.settings.map { RecoveryStore(root: $0.recoveryRoot.value, logger: logger) }
        _ = store?.mergeInterruptedGrace()
        let epoch = started.nextEpoch(recorded: store?.lastGaneshaEpoch())
        store?.recordGaneshaEpoch(epoch)
        try await renderGaneshaFiles(started)
        let environment = ChildEnvironment.make(["DBUS_SYSTEM_BUS_ADDRESS": busAddress])
        state.grace.expect(epoch: epoch)
        let ganesha = try await SupervisedProcess.start(
            name: "ganesha", executable: Executables.find("ganesha.nfsd"),
            arguments: ["-F", "-f", layout.ganeshaConfig, "-L", "/dev/stdout", "-p", layout.ganeshaPidFile,
                        "-E", String(epoch)],
            environment: environment, logger: logger,
            onLine: { [grace = state.grace, failures = state.recordFailures] in
                guard let line = GaneshaLogLine($0) else { return [:] }
                grace.observe(line)
                failures.observe(line, recoveryRoot: grace.watchedRoot)
                return line.metadata
            }
        )
        started.ganesha = ganesha
        ganesha.onExit { [pid = ganesha.pid] in sink.yield(.ganeshaExited(pid: pid, how: "\($0)")) }

        // The bus outlives a Ganesha restart, and so does our connection to it.
        let client: GaneshaClient
        if let existing = started.client {
            client = existing
        } else {
            let connection = try await DBusConnection.connect(address: busAddress, timeout: .seconds(5))
            started.connection = connection
            client = GaneshaClient(connection: connection, callTimeout: .seconds(5))
            started.client = client
        }
        let configured = options.ganesha.nfsPort
        let host = probeHost
        let pid = ganesha.pid
        // With --nfs-port 0 the port is Ganesha's choice, read from its listening socket.
        let boundPort = { @Sendable () -> UInt16? in
            configured != 0 ? configured : ListeningSockets.tcp(pid: pid).first?.port
        }
        // Ganesha keeps running without D-Bus when it cannot own its name, so both the name
        // and the NFS port must answer before it counts as started. It owns the name well
        // before it listens: the cheap TCP connect goes first, the bus round trip only then,
        // which lets the poll run every 2 ms without loading the bus while Ganesha starts.
        let ready = await Readiness.poll(timeout: .seconds(30), interval: .milliseconds(2)) {
            guard ganesha.isRunning, !stop.isRequested else { return true }
            guard let port = boundPort(), Readiness.acceptsTCP(host: host, port: port) else { return false }
            return (try? await client.isRegistered()) == true
        }
        if stop.isRequested { throw StartupError.stopped }
        // Its own log lines, not the stack backtrace Ganesha 6 prints after a FATAL one.
        if let report = await ganesha.exitReport(relevant: { GaneshaLogLine($0).map { $0.function != "gsh_backtrace" } ?? false }) {
            // A pinned port someone else took meanwhile: the next attempt lets Ganesha pick again.
            await state.setEndpoint(nil)
            throw StartupError.ganeshaDidNotStart(report)
        }
        guard ready, let port = boundPort() else {
            throw StartupError.ganeshaDidNotStart("it did not own org.ganesha.nfsd and accept NFS connections on \(host):\(configured) within 30 s")
        }
        await state.ganeshaStarted(ganesha, client: client)
        logger.info("Ganesha started", metadata: ["pid": "\(ganesha.pid)", "port": "\(port)"])
        await publishEndpoint(port: port, pid: pid)
    }

    /// Logs the endpoint and writes `endpoint.json` for a manager that points the Service here.
    private func publishEndpoint(port: UInt16, pid: Int32) async {
        let endpoint = NFSEndpoint(volume: options.volume.value, address: options.ganesha.nfsAddress.value, port: port, pid: pid)
        let changed = await state.endpoint.map { $0.port != port || $0.address != endpoint.address } ?? true
        await state.setEndpoint(endpoint)
        do {
            try EndpointFile(path: layout.endpointFile).write(endpoint)
        } catch {
            logger.error("cannot write \(layout.endpointFile): \(error); a manager reading it sees the old endpoint")
        }
        if changed {
            logger.notice("NFS endpoint", metadata: ["address": "\(endpoint.address)", "port": "\(port)", "file": "\(layout.endpointFile)"])
        }
    }

    func addExport(_ started: Started) async throws {
        guard let client = started.client else { return }
        do {
            // An operator took it offline; a restarted Ganesha must not bring it back behind their back.
            if await state.exportOffline {
                if try await client.showExports().contains(where: { $0.id == GaneshaSettings.exportID }) {
                    try await client.removeExport(id: GaneshaSettings.exportID)
                }
                logger.notice("export kept offline, as asked over the control API")
                return
            }
            // The main config includes the export; AddExport is for a Ganesha that lacks it.
            if try await client.showExports().contains(where: { $0.id == GaneshaSettings.exportID }) {
                logger.info("export active", metadata: ["pseudo": "/\(options.volume)", "path": "\(options.ganesha.exportPath)"])
                return
            }
            let reply = try await client.addExport(configPath: layout.exportConfig, exportID: GaneshaSettings.exportID)
            let active = try await client.showExports().contains { $0.id == GaneshaSettings.exportID }
            guard active else { throw StartupError.exportFailed("AddExport answered '\(reply)' but ShowExports does not list it") }
            logger.info("export added", metadata: ["reply": "\(reply)", "pseudo": "/\(options.volume)", "path": "\(options.ganesha.exportPath)"])
        } catch let error as GaneshaError {
            throw StartupError.exportFailed("\(error)")
        }
    }
}

/// Finds the tools we start; root's PATH in a container may lack the sbin folders.
