import Recovery
import SupervisorInterface
import GaneshaControl
import Logging
import ChildProcesses
import VolumeDevice

/// The state the HTTP handlers read while the lifecycle changes it.
actor RuntimeState {
    private(set) var phase: Phase = .preparingDevice
    private(set) var ganesha: SupervisedProcess?
    private(set) var client: GaneshaClient?
    private(set) var volume: PreparedVolume?
    private(set) var filesystemHealth: FilesystemHealth = .healthy
    private var lastGrowProblem: String?
    /// When the running write probe started; nil while none runs.
    private var probeStarted: ContinuousClock.Instant?
    private(set) var ganeshaRestarts = 0
    let logger: Logger
    /// Ganesha's grace period as its log tells it; read by the metrics without the actor.
    nonisolated let grace: GraceTracker
    /// Client recovery records Ganesha failed to write, from its log; read by the metrics.
    nonisolated let recordFailures: RecordWriteFailures

    init(logger: Logger) {
        self.logger = logger
        grace = GraceTracker(logger: logger)
        recordFailures = RecordWriteFailures(logger: logger)
    }

    func ganeshaRestarting() {
        ganeshaRestarts += 1
        phase = .restartingGanesha
    }

    /// A restarted Ganesha gets a fresh 10 s to send its first beat.
    func ganeshaServingAgain() {
        phase = .serving
        heartbeatWatchedSince = .now
    }

    private(set) var idmapDomain: String?

    /// Where Ganesha listens, once it does (see `NFSEndpoint`).
    private(set) var endpoint: NFSEndpoint?
    func setEndpoint(_ endpoint: NFSEndpoint?) { self.endpoint = endpoint }

    /// Set by the control API's unexport: readiness says so, and a restarted Ganesha
    /// (whose config includes the export) has it removed again.
    private(set) var exportOffline = false
    func setExportOffline(_ offline: Bool) { exportOffline = offline }

    /// A grow or trim in progress: one at a time, whether scheduled or asked for.
    private var deviceOperation: String?
    func beginDeviceOperation(_ name: String) -> String? {
        if let running = deviceOperation { return running }
        deviceOperation = name
        return nil
    }
    func endDeviceOperation() { deviceOperation = nil }

    private(set) var heartbeat: HeartbeatMonitor?
    private(set) var heartbeatWatchedSince: ContinuousClock.Instant?

    func volumeMounted(_ volume: PreparedVolume) { self.volume = volume }

    func watchHeartbeat(_ monitor: HeartbeatMonitor) {
        heartbeat = monitor
        heartbeatWatchedSince = .now
    }

    /// Seconds since the last heartbeat, or since watching began when none came yet.
    func heartbeatAge() -> Duration? {
        guard let since = heartbeat?.lastBeat ?? heartbeatWatchedSince else { return nil }
        return .now - since
    }

    func setIdmapDomain(_ domain: String) { idmapDomain = domain }

    /// Returns true when the health changed, so the caller logs transitions only.
    func setFilesystemHealth(_ health: FilesystemHealth) -> Bool {
        probeStarted = nil
        defer { filesystemHealth = health }
        return health != filesystemHealth
    }

    func probeStarting() { probeStarted = .now }

    /// A write probe that does not return is itself the symptom (a device that stopped
    /// answering): after `limit` it counts as a failed probe.
    func stuckProbe(limit: Duration) -> Duration? {
        guard let probeStarted, ContinuousClock.now - probeStarted > limit else { return nil }
        return ContinuousClock.now - probeStarted
    }

    /// Logs a grow problem once, not every poll.
    func noteGrowProblem(_ problem: String) {
        guard problem != lastGrowProblem else { return }
        lastGrowProblem = problem
        logger.error("\(problem)")
    }

    func enter(_ phase: Phase) { self.phase = phase }

    func ganeshaStarted(_ process: SupervisedProcess, client: GaneshaClient) {
        ganesha = process
        self.client = client
    }

    func snapshot() -> (phase: Phase, ganesha: SupervisedProcess?, client: GaneshaClient?) {
        (phase, ganesha, client)
    }
}
