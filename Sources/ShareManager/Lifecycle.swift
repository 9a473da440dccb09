import DBusKit
import Foundation
import GaneshaConfig
import GaneshaControl
import Logging
import Supervision
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
    }

    func run(
        events: AsyncStream<ShareManagerRuntime.Event>, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async -> Int32 {
        let started = Started()
        var code: Int32 = 0
        do {
            try await startUp(started, sink: sink)
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
            if let client = started.client {
                let heartbeat = HeartbeatMonitor(client: client)
                await state.watchHeartbeat(heartbeat)
                group.addTask { await followHeartbeat(heartbeat) }
            }
            var restarts = RestartPolicy()
            var code: Int32 = 0
            for await event in events {
                if case .signal(let sig) = event {
                    logger.info("received signal \(sig); stopping in order (Ganesha keeps its client records)")
                    break
                }
                guard case .ganeshaExited(let how) = event, !stop.isRequested else { continue }
                guard let delay = restarts.recordDeath() else {
                    logger.error("Ganesha died \(RestartPolicy.limit + 1) times within 5 minutes (last: \(how)); giving up so that the Pod is replaced")
                    code = 1
                    break
                }
                logger.error("Ganesha \(how) unexpectedly; restarting it in place", metadata: ["in": "\(delay)"])
                await restartGanesha(started, after: delay, sink: sink)
            }
            group.cancelAll()
            return code
        }
    }

    /// Ganesha beats about once a second while healthy. The subscription follows whoever owns
    /// the bus name, so it survives in-place restarts; it ends with the bus, and is then
    /// tried again, since a stale beat must not be mistaken for a hang of our own making.
    private func followHeartbeat(_ heartbeat: HeartbeatMonitor) async {
        while !Task.isCancelled {
            do {
                try await heartbeat.run()
            } catch {
                logger.warning("heartbeat subscription ended: \(error)")
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
