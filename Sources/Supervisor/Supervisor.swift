import ChildProcesses
import DBusKit
import GaneshaConfig
import GaneshaControl
import Logging
import Recovery
import RunSettings
import SupervisorInterface
import SystemdNotify
import UnixSignals
import VolumeDevice

/// The one owner of what a run sets up: the prepared volume, the bus, our connection to it,
/// Ganesha, and the export and its wish (online or offline). HTTP and the control API reach
/// them only through `ShareSupervising`; the run itself is `SupervisorService`.
///
/// Changes that touch Ganesha's exports are serialised (`serialized`): one path makes the
/// export exist, at start, after a restart and on request, and it reads the wish under the
/// same gate, so no interleaving can leave Ganesha and the wish apart.
public actor Supervisor {
    let options: ResolvedOptions
    let templates: TemplateSet
    /// share-manager's release, for the status.
    let version: String
    nonisolated let logger: Logger
    /// Tells systemd where we are when run as a service; a no-op under Kubernetes.
    nonisolated let notifier = SystemdNotifier()
    /// Ganesha's grace period as its log tells it.
    nonisolated let grace: GraceTracker
    /// Client recovery records Ganesha failed to write, from its log.
    nonisolated let recordFailures: RecordWriteFailures
    /// Exits of our children, reported from the threads that reap them.
    let events: AsyncStream<ChildEvent>
    let sink: AsyncStream<ChildEvent>.Continuation
    nonisolated var layout: StateLayout { StateLayout(stateDir: options.stateDir) }

    // What is up, so it can be taken down.
    var phase: Phase = .preparingDevice
    var volume: PreparedVolume?
    var bus: SupervisedProcess?
    var busAddress: String?
    var connection: DBusConnection?
    var client: GaneshaClient?
    var ganesha: SupervisedProcess?
    /// What the config was rendered from, to render it again with a pinned port.
    var settings: GaneshaSettings?
    var epochs = EpochCounter()
    /// Drops clients' connection attempts while Ganesha restarts in place (`PortHold`).
    nonisolated let portHold = PortHold()
    /// Holds clients' connections open while Ganesha restarts in place (`ConnectionKeeper`).
    nonisolated let keeper = ConnectionKeeper()
    /// Why connections are not kept (pidfd_getfd refused), once found: then nothing is tried again.
    var keepingFailure: String?

    /// Taken offline over the control API: readiness says so, and a restarted Ganesha
    /// (whose config includes the export) has it removed again.
    var exportOffline = false
    var restarts = 0
    var endpoint: NFSEndpoint?
    var idmapDomain: String?
    var heartbeat: HeartbeatMonitor?
    var heartbeatWatchedSince: ContinuousClock.Instant?
    var filesystemHealth: FilesystemHealth = .healthy
    /// When the running write probe started; nil while none runs.
    var probeStarted: ContinuousClock.Instant?
    var growProblem = RepeatedProblem()
    /// A grow or trim in progress: one at a time, whether scheduled or asked for.
    var deviceOperation: String?
    /// Set when the stop is forced: the orderly steps still under way start nothing new.
    var abandoned = false
    /// 0 unless the run failed or its stop had to be forced.
    public private(set) var exitCode: Int32 = 0
    /// Asks the service group for an orderly stop of everything (set by the composition root).
    var requestStop: @Sendable () async -> Void = {}

    let statistics: StatisticsCollector
    /// A second SIGTERM/SIGINT, heard once the group has acted on the first.
    let secondSignal: AsyncStream<UnixSignal>
    let secondSignals: AsyncStream<UnixSignal>.Continuation
    // The gate of `serialized`.
    private var gateHeld = false
    private var gateWaiters: [CheckedContinuation<Void, Never>] = []

    public init(options: ResolvedOptions, templates: TemplateSet, version: String, logger: Logger) {
        self.options = options
        self.version = version
        self.templates = templates
        self.logger = logger
        grace = GraceTracker(logger: logger)
        recordFailures = RecordWriteFailures(logger: logger)
        statistics = StatisticsCollector(servingNFSv40: options.ganesha.enableNFSv40)
        (events, sink) = AsyncStream.makeStream(of: ChildEvent.self)
        (secondSignal, secondSignals) = AsyncStream.makeStream(of: UnixSignal.self)
    }

    /// How the supervisor asks for the whole process to stop when it gives up on its own.
    public func onStopRequest(_ request: @escaping @Sendable () async -> Void) { requestStop = request }

    enum ChildEvent: Sendable {
        /// `pid` tells an exit of the current Ganesha from a late report of an earlier one;
        /// nil for a start that failed before there was a process.
        case ganeshaExited(pid: Int32?, how: String)
        /// The private D-Bus daemon we started ended.
        case busExited(pid: Int32, how: String)
        /// The service group asked for an orderly stop.
        case stop
    }

    /// Runs `body` while no other change runs; callers queue in order of arrival. The
    /// actor alone would not do: it is re-entered at every `await` of a D-Bus call.
    func serialized<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        if gateHeld {
            await withCheckedContinuation { gateWaiters.append($0) }
        } else {
            gateHeld = true
        }
        defer {
            if gateWaiters.isEmpty { gateHeld = false } else { gateWaiters.removeFirst().resume() }
        }
        return try await body()
    }

    func fail(_ code: Int32 = 1) { exitCode = code }

    /// A client of the live connection with a bound of its own: probes, scrapes and control
    /// calls must answer even when Ganesha hangs. Nil when Ganesha does not run.
    func liveClient(timeout: Duration) -> GaneshaClient? {
        guard let ganesha, ganesha.isRunning, let client else { return nil }
        return GaneshaClient(connection: client.connection, busName: client.busName, callTimeout: min(timeout, client.callTimeout))
    }
}

/// Ganesha takes its epoch from its start time in whole seconds and builds client and
/// session ids from it. Started again within the same second (the first in-place restart
/// is immediate; a fresh instance after a quick failover may be as fast), it would hand
/// out the ids of the instance before: a reconnecting client's SEQUENCE on its old session
/// then lands in another client's session (seen: NFS4ERR_SEQ_MISORDERED). So each start
/// gets a later epoch than the last one of this process and than `recorded`, the last one
/// any instance recorded on the volume.
struct EpochCounter: Sendable {
    private(set) var last: UInt32 = 0

    mutating func next(now: UInt32, recorded: UInt32? = nil) -> UInt32 {
        last = max(now, max(last, recorded ?? 0) &+ 1)
        return last
    }
}
