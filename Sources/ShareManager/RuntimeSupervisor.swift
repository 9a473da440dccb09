import GaneshaConfig
import GaneshaControl
import Glibc
import Logging
import RunSettings
import SupervisorInterface
import VolumeDevice

/// TEMPORARY bridge: `ShareSupervising` over today's `RuntimeState` and `ResolvedOptions`,
/// so that ShareAPI can be wired before the Supervisor module exists. It holds what the
/// probes, the metrics and the control actions used to do themselves (ShowExports, statvfs,
/// the NULL probe, AddExport/RemoveExport, SetLogLevel, grow, trim, Ganesha's statistics).
/// The Supervisor module (issue 18 step 1) replaces this file and its extensions.
struct RuntimeSupervisor: ShareSupervising {
    let options: ResolvedOptions
    let state: RuntimeState
    let logger: Logger
    /// Ganesha's statistics over D-Bus, bounded and deduplicated across scrapes.
    let statistics = StatisticsCollector()

    var layout: StateLayout { StateLayout(stateDir: options.stateDir) }

    /// A client with a bound of its own: probes and scrapes must answer even when Ganesha
    /// hangs (1 s), and an operator's command must not hang on it either (2 s).
    func ganesha(timeout: Duration = .seconds(2)) async -> GaneshaClient? {
        let (_, process, client) = await state.snapshot()
        guard let process, process.isRunning, let client else { return nil }
        return GaneshaClient(connection: client.connection, busName: client.busName, callTimeout: timeout)
    }

    func healthFacts() async -> HealthFacts {
        let (phase, ganesha, _) = await state.snapshot()
        return HealthFacts(
            phase: phase, ganeshaRunning: ganesha?.isRunning == true, heartbeatAge: await state.heartbeatAge(),
            stuckWriteProbe: await state.stuckProbe(limit: .seconds(10)),
            filesystem: Self.condition(await state.filesystemHealth))
    }

    func readinessFacts() async -> ReadinessFacts {
        let phase = await state.phase
        let offline = await state.exportOffline
        let port = await state.endpoint?.port
        var facts = ReadinessFacts(
            phase: phase, exportOffline: offline, nfsPort: port, export: .unknown("not asked"), nfsAnswers: false,
            filesystem: Self.condition(await state.filesystemHealth))
        guard phase == .serving, !offline, let port else { return facts }
        switch await exportsListed() {
        case .success(let ids):
            facts.export = ids.contains(GaneshaSettings.exportID) ? .active : .inactive
        case .failure(let error):
            facts.export = .unknown("\(error)")
        }
        if facts.export == .active {
            facts.nfsAnswers = await NFSNullProbe.answers(host: options.probeHost, port: port)
        }
        return facts
    }

    func metricsSample() async -> MetricsSample {
        var sample = MetricsSample()
        let (_, ganesha, _) = await state.snapshot()
        let running = ganesha?.isRunning == true
        sample.heartbeatAge = await state.heartbeatAge()
        // The liveness probe's rule: no heartbeat watched yet is not a stale one.
        sample.ganeshaUp = running && !(sample.heartbeatAge.map { $0 > HealthFacts.heartbeatLimit } ?? false)
        sample.ganeshaPid = running ? ganesha?.pid : nil
        if running {
            if case .success(let ids) = await exportsListed() { sample.exportsActive = ids.filter { $0 != 0 }.count }
        } else {
            sample.exportsActive = 0
        }
        sample.endpoint = await state.endpoint
        sample.idmapDomain = await state.idmapDomain
        if let volume = await state.volume {
            sample.filesystem = Self.condition(await state.filesystemHealth)
            sample.space = Self.space(of: volume.mountPoint)
        }
        sample.grace = grace()
        sample.ganeshaRestarts = await state.ganeshaRestarts
        sample.recordWriteFailures = state.recordFailures.count
        let restarts = sample.ganeshaRestarts
        let collected = await statistics.collect(
            client: running ? await self.ganesha(timeout: .seconds(2)) : nil, pid: sample.ganeshaPid,
            incarnation: UInt64(restarts), timeout: .seconds(2),
            stillCurrent: { pid in
                let (_, now, _) = await state.snapshot()
                let restartsNow = await state.ganeshaRestarts
                return now?.pid == pid && restartsNow == restarts
            })
        sample.statistics = collected.counters
        sample.statisticsFailed = collected.failed
        return sample
    }

    /// Export ids Ganesha lists, asked within 1 s.
    private func exportsListed() async -> Result<[UInt16], GaneshaError> {
        guard let client = await ganesha(timeout: .seconds(1)) else { return .failure(.notRegistered) }
        do {
            return .success(try await client.showExports().map(\.id))
        } catch {
            return .failure(error)
        }
    }

    static func condition(_ health: FilesystemHealth) -> FilesystemCondition {
        switch health {
        case .healthy: .healthy
        case .full(let full): .full(summary: "\(full)", resources: full.resources.map(\.rawValue))
        case .readOnly(let reason): .readOnly(reason: reason)
        }
    }

    /// statvfs of the served mount (blocking, as it was in the handlers; the supervisor
    /// moves it off the cooperative pool).
    static func space(of mountPoint: String) -> MetricsSample.Space? {
        var stats = statvfs()
        guard statvfs(mountPoint, &stats) == 0 else { return nil }
        return MetricsSample.Space(
            sizeBytes: UInt64(stats.f_blocks) * UInt64(stats.f_frsize),
            availableBytes: UInt64(stats.f_bavail) * UInt64(stats.f_frsize),
            files: UInt64(stats.f_files), filesFree: UInt64(stats.f_ffree))
    }
}
