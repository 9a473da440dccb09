import GaneshaConfig
import Glibc
import NIOPosix
import SupervisorInterface
import VolumeDevice

extension Supervisor: ShareSupervising {
    static let writeProbeLimit: Duration = .seconds(10)
    /// Probes answer within about this, whatever Ganesha does.
    static let probeBound: Duration = .seconds(1)
    /// A scrape waits at most this for Ganesha, however it hangs (docs/metrics.md, "A hung Ganesha").
    static let scrapeBound: Duration = .seconds(2)

    public func healthFacts() async -> HealthFacts {
        HealthFacts(
            phase: phase, ganeshaRunning: ganesha?.isRunning == true, heartbeatAge: heartbeatAge(),
            stuckWriteProbe: stuckProbe(), filesystem: condition)
    }

    public func readinessFacts() async -> ReadinessFacts {
        var facts = ReadinessFacts(
            phase: phase, exportOffline: exportOffline, nfsPort: endpoint?.port, export: .unknown("not asked"),
            nfsAnswers: false, filesystem: condition)
        guard phase == .serving, !exportOffline, let port = facts.nfsPort else { return facts }
        facts.export = await exportCheck()
        // The export exists; now the data path must answer too (an RPC NULL call creates no
        // client record, so it never holds the next grace period).
        if facts.export == .active {
            facts.nfsAnswers = await NFSNullProbe.answers(host: options.probeHost, port: port)
        }
        return facts
    }

    public func metricsSample() async -> MetricsSample {
        var sample = MetricsSample()
        let age = heartbeatAge()
        let running = ganesha?.isRunning == true
        sample.ganeshaUp = running && (age.map { $0 <= HealthFacts.heartbeatLimit } ?? false)
        sample.ganeshaPid = ganesha?.pid
        sample.endpoint = endpoint
        sample.idmapDomain = idmapDomain
        if let volume {
            sample.filesystem = condition
            sample.space = await Self.space(of: volume.mountPoint)
        }
        sample.grace = graceMessage()
        sample.ganeshaRestarts = restarts
        sample.keptConnections = options.keepConnections && keepingFailure == nil ? keeper.count : nil
        sample.recordWriteFailures = recordFailures.count
        sample.heartbeatAge = age
        // One bound for every D-Bus question of the scrape, the export count included. No
        // answer in time leaves the count unknown (nil): the family keeps its last value.
        let (counters, exportsActive, failed) = await statistics.collect(
            client: running ? liveClient(timeout: Self.scrapeBound) : nil, pid: running ? ganesha?.pid : nil, timeout: Self.scrapeBound)
        sample.statistics = counters
        sample.exportsActive = exportsActive
        sample.statisticsFailed = failed
        return sample
    }

    public func setExport(online: Bool) async throws(ControlError) -> ControlMessage.Result {
        try await changeExport(online: online)
    }

    /// What Ganesha says of our export, asked with the probes' bound.
    func exportCheck() async -> ExportCheck {
        guard let client = liveClient(timeout: Self.probeBound) else { return .unknown("Ganesha is not running") }
        do {
            return try await client.showExports().contains { $0.id == GaneshaSettings.exportID } ? .active : .inactive
        } catch {
            return .unknown("\(error)")
        }
    }

    var condition: FilesystemCondition {
        switch filesystemHealth {
        case .healthy: .healthy
        case .full(let full): .full(summary: "\(full)", resources: full.resources.map(\.rawValue))
        case .readOnly(let reason): .readOnly(reason: reason)
        }
    }

    /// A write probe that does not return is itself the symptom (a device that stopped
    /// answering): after the limit it counts as a failed probe.
    func stuckProbe() -> Duration? {
        guard let probeStarted, ContinuousClock.now - probeStarted > Self.writeProbeLimit else { return nil }
        return ContinuousClock.now - probeStarted
    }

    func graceMessage() -> ControlMessage.Grace {
        let now = grace.current
        return .init(
            active: now.active, remainingSeconds: Int(now.remaining.components.seconds),
            recordedClients: now.recordedClients, reclaimedClients: now.reclaimedClients, pending: now.pending)
    }

    /// statvfs of the served mount blocks when the device hangs: on NIO's pool for blocking
    /// work. Nil when it fails or the pool is shutting down (we are exiting).
    static func space(of mountPoint: String) async -> MetricsSample.Space? {
        try? await NIOThreadPool.singleton.runIfActive {
            var stats = statvfs()
            guard statvfs(mountPoint, &stats) == 0 else { return nil }
            return MetricsSample.Space(
                sizeBytes: UInt64(stats.f_blocks) * UInt64(stats.f_frsize), availableBytes: UInt64(stats.f_bavail) * UInt64(stats.f_frsize),
                files: UInt64(stats.f_files), filesFree: UInt64(stats.f_ffree))
        }
    }
}
