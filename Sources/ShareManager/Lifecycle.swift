import RunSettings
import DBusKit
import FoundationEssentials
import Glibc
import GaneshaConfig
import GaneshaControl
import Logging
import ChildProcesses
import SystemdNotify
import VolumeDevice

/// The ordered steps of a run and their undoing. Everything started is recorded in
/// `Started`, and `tearDown` stops it in reverse, whatever failed: a failure half-way
/// leaves the volume unmounted, never damaged.
struct Lifecycle: Sendable {
    let options: ResolvedOptions
    let templates: TemplateSet
    let logger: Logger
    let state: RuntimeState
    let stop: StopRequest
    /// Tells systemd where we are when run as a service; a no-op under Kubernetes.
    let notifier = SystemdNotifier()

    var layout: StateLayout { StateLayout(stateDir: options.stateDir) }

    /// What is up, so it can be taken down.
    final class Started: @unchecked Sendable {
        var volume: PreparedVolume?
        var bus: SupervisedProcess?
        var ganesha: SupervisedProcess?
        var connection: DBusConnection?
        var client: GaneshaClient?
        var busAddress: String?
        /// What the config was rendered from, to render it again with a pinned port.
        var settings: GaneshaSettings?
        /// The epoch the last Ganesha was started with (see `nextEpoch`).
        var ganeshaEpoch: UInt32 = 0

        /// Ganesha takes its epoch from its start time in whole seconds and builds client and
        /// session ids from it. Started again within the same second (the first in-place
        /// restart is immediate; a fresh instance after a quick failover may be as fast), it
        /// would hand out the ids of the instance before: a reconnecting client's SEQUENCE on
        /// its old session then lands in another client's session (seen:
        /// NFS4ERR_SEQ_MISORDERED). So each start gets a later epoch than the last one of this
        /// process and than `recorded`, the last one any instance recorded on the volume.
        func nextEpoch(now: UInt32 = UInt32(clamping: time(nil)), recorded: UInt32? = nil) -> UInt32 {
            ganeshaEpoch = max(now, max(ganeshaEpoch, recorded ?? 0) &+ 1)
            return ganeshaEpoch
        }
    }

    func run(
        events: AsyncStream<ShareManagerRuntime.Event>, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async -> Int32 {
        let started = Started()
        var code: Int32 = 0
        do {
            try await startUp(started, sink: sink)
            if let bus = started.bus { watch(bus: bus, sink: sink) }
            if !stop.isRequested {
                await state.enter(.serving)
                let url = "nfs://\(probeHost):\(options.ganesha.nfsPort)/\(options.volume)"
                logger.info("serving \(url) (NFSv4.1/4.2)")
                notifier.ready(status: "serving \(url)")
            }
            code = await serve(events: events, started: started, sink: sink)
        } catch let error as StartupError {
            if case .stopped = error {
                logger.info("stopped during start-up, as asked")
            } else {
                logger.error("\(error)")
                code = 1
            }
        } catch {
            logger.error("\(error)")
            code = 1
        }
        await state.enter(.stopping)
        notifier.stopping()
        if await tearDown(started) == false { code = 1 }
        logger.info("share-manager exits with status \(code)")
        return code
    }

    /// Watches the volume and keeps Ganesha running until a signal says to stop; returns
    /// the exit code that implies.
    private func serve(
        events: AsyncStream<ShareManagerRuntime.Event>, started: Started,
        sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async -> Int32 {
        await withTaskGroup(of: Void.self) { group in
            if let volume = started.volume {
                let monitor = VolumeMonitor(
                    volume: volume, readOnlyShare: options.readOnly, trimInterval: options.trimInterval,
                    state: state, logger: logger
                )
                group.addTask { await monitor.run() }
            }
            if let interval = notifier.watchdogInterval {
                group.addTask { await pingWatchdog(every: interval) }
            }
            group.addTask { await followHeartbeat() }
            var restarts = RestartPolicy()
            var code: Int32 = 0
            serving: for await event in events {
                switch event {
                case .signal(let sig):
                    logger.info("received \(TerminationSignals.name(sig)); stopping in order (Ganesha keeps its client records)", metadata: [
                        "timeout": "\(Self.secondsText(options.shutdownTimeout)) s", "escalate": "at a second signal or the timeout",
                    ])
                    break serving
                case .ganeshaExited(let pid, let how):
                    // A late report of a Ganesha already replaced (e.g. one that went with its bus) is no news.
                    guard !stop.isRequested, pid == nil || pid == started.ganesha?.pid else { continue }
                    if let exit = await recover(started, from: "Ganesha \(how)", restarts: &restarts, sink: sink) {
                        code = exit
                        break serving
                    }
                case .busExited(let pid, let how):
                    guard !stop.isRequested, pid == started.bus?.pid else { continue }
                    if let exit = await recover(started, from: "the private D-Bus daemon \(how)", restarts: &restarts, sink: sink) {
                        code = exit
                        break serving
                    }
                }
            }
            group.cancelAll()
            return code
        }
    }

    /// Ganesha beats about once a second while healthy. A subscription follows whoever owns
    /// the bus name, so it survives in-place restarts of Ganesha; it ends with the bus. A new
    /// bus brings a new client of ours (see `restartBusAndGanesha`), and the monitor is
    /// replaced with it. A lost subscription is tried again, since a stale beat must not be
    /// mistaken for a hang of our own making.
    private func followHeartbeat() async {
        var current: (connection: ObjectIdentifier, monitor: HeartbeatMonitor)?
        // One warning per outage, not one a second while the bus is being restarted.
        var warned = false
        while !Task.isCancelled {
            if let client = await state.client, current?.connection != ObjectIdentifier(client.connection) {
                let monitor = HeartbeatMonitor(client: client)
                await state.watchHeartbeat(monitor)
                current = (ObjectIdentifier(client.connection), monitor)
                warned = false
            }
            if let monitor = current?.monitor {
                let beatsBefore = monitor.beatCount
                do {
                    try await monitor.run()
                } catch {
                    if monitor.beatCount != beatsBefore { warned = false }
                    if !warned { logger.warning("heartbeat subscription ended: \(error); retrying every second") }
                    warned = true
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// systemd's watchdog hears from us only while Ganesha runs: a dead child means a
    /// restart is due, which is what the watchdog is for.
    private func pingWatchdog(every interval: Duration) async {
        while !Task.isCancelled {
            if await state.ganesha?.isRunning == true { notifier.watchdogPing() }
            try? await Task.sleep(for: interval)
        }
    }

    var probeHost: String { options.probeHost }
}
