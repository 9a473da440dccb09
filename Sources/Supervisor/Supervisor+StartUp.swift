import ChildProcesses
import FoundationEssentials
import GaneshaConfig
import IDMapping
import LinuxSupport
import Recovery
import RunSettings
import ServiceLifecycle
import SupervisorInterface
import VolumeDevice

extension Supervisor {
    /// The device tools block; they get a thread of their own (see `BlockingExecutor`).
    static let deviceExecutor = BlockingExecutor(name: "sm-device")

    /// Runs blocking device work (a format, a check, a grow, an unmount) on the device
    /// executor and outside the actor: called from the actor, `withTaskExecutorPreference`
    /// would keep its isolation, and the probes would wait for the work.
    nonisolated static func onDeviceExecutor<T: Sendable, E: Error>(
        _ work: @Sendable () async throws(E) -> T
    ) async throws(E) -> T {
        try await withTaskExecutorPreference(deviceExecutor, isolation: nil) { () async throws(E) -> T in try await work() }
    }

    /// A stop was asked for: by a signal (through the service group) or by cancellation.
    nonisolated var stopAsked: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    /// Device, bus and Ganesha release at once (neither of the latter depends on the
    /// volume), then the recovery store, Ganesha and the export. A signal during a step is
    /// acted on after it: a format or a check cannot be cut short.
    func startUp() async throws(StartupError) {
        try refuseTakenNFSPort()
        let preparer = VolumePreparer(
            volume: options.volume.value, device: options.device ?? "", mountPoint: options.mountPoint.value,
            fsType: options.fsType, logger: logger, mkfsOptions: options.mkfsOptions,
            mountOptions: options.mountOptions, recoveryDir: options.recoveryDir?.value, readOnly: options.readOnly
        )
        if BusSettings.givenAddress == nil { _ = try ganeshaBusPolicy() }
        async let startingBus = startBusResult()
        async let ganeshaVersion = detectGaneshaVersion()
        let prepared: Result<PreparedVolume, DeviceError> = await Self.onDeviceExecutor {
            do throws(DeviceError) { return .success(try await preparer.prepare()) } catch { return .failure(error) }
        }
        let busResult = await startingBus
        let version = await ganeshaVersion
        if case .success(let started) = busResult {
            bus = started.process
            busAddress = started.address
        }
        let volume: PreparedVolume
        switch prepared {
        case .failure(let error): throw .device(error)
        case .success(let ready): volume = ready
        }
        volumeMounted(volume)
        let started = try busResult.get()
        if let process = started.process { watch(bus: process) }
        guard !stopAsked else { throw .stopped }

        phase = .startingGanesha
        notifier.status("starting Ganesha")
        var settings = try settings(for: volume)
        settings.ganeshaVersion = version
        self.settings = settings
        try checkRecoveryStore(at: settings.recoveryRoot.value)
        try await startGanesha(busAddress: started.address)
        guard !stopAsked else { throw .stopped }
        do throws(ControlError) {
            try await restoreExport()
        } catch {
            throw .exportFailed("\(error)")
        }
    }

    /// Another server on the pinned port would answer our readiness probe in Ganesha's
    /// place, and Ganesha itself would then refuse the export: found here, before the
    /// device, the bus or Ganesha is touched.
    private func refuseTakenNFSPort() throws(StartupError) {
        let port = options.ganesha.nfsPort
        let address = options.ganesha.nfsAddress.value
        guard port != 0, let failure = streamBindError(host: address, port: port) else { return }
        let why = failure == .addressInUse ? "is already in use" : "cannot be listened on (\(failure))"
        throw .nfsPortUnavailable(address: address, port: port, why: why)
    }

    private func volumeMounted(_ volume: PreparedVolume) {
        self.volume = volume
        logger.info("volume mounted", metadata: [
            "device": "\(volume.devicePath)", "mountPoint": "\(volume.mountPoint)",
            "filesystem": "\(volume.filesystem.rawValue)", "formatted": .stringConvertible(volume.formatted),
            "adopted": .stringConvertible(volume.adopted),
        ])
    }

    /// The export and recovery paths come from the prepared volume: an adopted filesystem is
    /// exported at its root and keeps its records in --recovery-dir; a read-only share cannot
    /// keep them on the volume at all.
    private func settings(for volume: PreparedVolume) throws(StartupError) -> GaneshaSettings {
        var settings = options.ganesha
        do {
            settings.exportPath = try SafePath(validating: volume.exportPath, flag: "mount-point")
            var recoveryRoot = volume.recoveryRoot
            if options.readOnly {
                recoveryRoot = options.recoveryDir?.value ?? layout.stateDir.appending("recovery")
                try FileManager.default.createDirectory(
                    atPath: recoveryRoot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
                )
            }
            settings.recoveryRoot = try SafePath(validating: recoveryRoot, flag: "recovery-dir")
        } catch {
            throw .stateDir(options.stateDir.value, "\(error)")
        }
        return settings
    }

    /// Creates or checks Ganesha's recovery store before Ganesha reads it.
    private func checkRecoveryStore(at root: String) throws(StartupError) {
        let report: RecoveryStore.Report
        do {
            report = try RecoveryStore(root: root, logger: logger).prepare()
        } catch {
            throw .stateDir(root, "cannot create the recovery store: \(error)")
        }
        grace.watch(recoveryRoot: root)
        logger.info("recovery store checked", metadata: [
            "root": "\(root)", "records": .stringConvertible(report.records), "quarantined": .stringConvertible(report.quarantined.count),
        ])
    }

    /// Writes every file Ganesha reads from the settings in memory, before every start: a
    /// file on disk is never trusted to still say what was rendered (a swapped `export.conf`
    /// would otherwise be what a restarted Ganesha serves). A port Ganesha picked is pinned,
    /// so clients and the Service that points at it need not move.
    func renderGaneshaFiles() throws(StartupError) {
        guard var settings else { return }
        if options.ganesha.nfsPort == 0 { settings.nfsPort = endpoint?.port ?? 0 }
        let rendered = templates.renderGanesha(settings)
        do {
            try AtomicFile.write(rendered.main, to: layout.ganeshaConfig)
            try AtomicFile.write(rendered.export, to: layout.exportConfig)
            if let domain = options.idmapDomain, let path = settings.idmapConfig {
                try AtomicFile.write(try IDMapDomain.renderConfig(domain: domain), to: path.value)
            }
        } catch {
            throw .stateDir(options.stateDir.value, "\(error)")
        }
        // Files owned by "nobody" on clients come from a domain mismatch: say which domain applies.
        do {
            let domain = try IDMapDomain.effective(configFile: settings.idmapConfig?.value)
            logger.info("NFSv4 ID-mapping domain", metadata: ["domain": "\(domain)", "numericOwners": .stringConvertible(settings.numericOwners)])
            idmapDomain = domain
        } catch {
            logger.warning("cannot tell the NFSv4 ID-mapping domain: \(error)")
        }
    }
}
