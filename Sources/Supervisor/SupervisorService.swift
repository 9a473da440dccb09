import Logging
import ServiceLifecycle
import SupervisorInterface
import UnixSignals

/// The supervisor's run as a service of the group: start-up (volume, bus, Ganesha, export),
/// then serving (monitors, in-place restarts), then the orderly stop when the group asks,
/// or the forced one when the group cancels it (`--shutdown-timeout`) or a second signal
/// comes. Its exit code is `Supervisor.exitCode`.
public struct SupervisorService: Service {
    let supervisor: Supervisor

    public init(_ supervisor: Supervisor) { self.supervisor = supervisor }

    public func run() async throws {
        await supervisor.run()
    }
}

extension Supervisor {
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listenForSecondSignal() }
            await runSteps()
            group.cancelAll()
        }
    }

    /// The group acts on the first SIGTERM/SIGINT and then stops listening; a second one,
    /// whenever it comes (during a start-up step, or the stop itself), is ours: it ends the
    /// orderly stop at once (`tearDown`).
    private func listenForSecondSignal() async {
        // Cancelled: the run is over, nothing to listen for.
        guard (try? await gracefulShutdown()) != nil else { return }
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
            secondSignals.yield(signal)
            return
        }
    }

    private func runSteps() async {
        do throws(StartupError) {
            try await startUp()
            if !stopAsked {
                phase = .serving
                logger.info("serving \(servedURL) (\(options.ganesha.enableNFSv40 ? "NFSv4.0/4.1/4.2" : "NFSv4.1/4.2"))")
                notifier.ready(status: "serving \(servedURL)")
                await serve()
            }
        } catch {
            if case .stopped = error {
                logger.info("stopped during start-up, as asked")
            } else {
                logger.error("\(error)")
                fail()
            }
        }
        if !stopAsked {
            // We stop on our own (a failed start, a crash loop): the group stops the other
            // services first, then asks us, as it would after a signal.
            await requestStop()
            // Returns when the group reaches us, or throws when it cancels us: either way, stop.
            try? await gracefulShutdown()
        }
        phase = .stopping
        notifier.stopping()
        if await tearDown() == false { fail() }
        logger.info("share-manager exits with status \(exitCode)")
    }

    /// Watches the volume and keeps Ganesha running until the group asks us to stop, or the
    /// restart budget is spent.
    private func serve() async {
        await withDiscardingTaskGroup { group in
            if let volume {
                let monitor = VolumeMonitor(volume: volume, readOnlyShare: options.readOnly, trimInterval: options.trimInterval,
                                            supervisor: self, logger: logger)
                group.addTask { await monitor.run() }
            }
            if let interval = notifier.watchdogInterval {
                group.addTask { await self.pingWatchdog(every: interval) }
            }
            group.addTask { await HeartbeatFollower(supervisor: self).run() }
            if options.keepConnections {
                group.addTask { await self.followConnections() }
            }
            await withGracefulShutdownHandler {
                await followChildren()
            } onGracefulShutdown: { [sink] in
                sink.yield(.stop)
            }
            group.cancelAll()
        }
    }

    private func followChildren() async {
        var policy = RestartPolicy()
        for await event in events {
            switch event {
            case .stop:
                logger.info("stopping in order (Ganesha keeps its client records)", metadata: [
                    "timeoutSeconds": .stringConvertible(options.shutdownTimeout), "escalate": "at a second signal or the timeout",
                ])
                return
            case .ganeshaExited(let pid, let how):
                // A late report of a Ganesha already replaced (e.g. one that went with its bus) is no news.
                guard !stopAsked, pid == nil || pid == ganesha?.pid else { continue }
                guard await recover(from: "Ganesha \(how)", restarts: &policy) else { return fail() }
            case .busExited(let pid, let how):
                guard !stopAsked, pid == bus?.pid else { continue }
                guard await recover(from: "the private D-Bus daemon \(how)", restarts: &policy) else { return fail() }
            }
        }
    }

    /// systemd's watchdog hears from us only while `/healthz` would say 200 (the same
    /// facts, `HealthFacts.failure`): a dead, hung or stopped Ganesha (no heartbeat for
    /// 10 s), a read-only filesystem or a stuck write probe stop the pings, so systemd
    /// restarts the service after `WatchdogSec=`. `STATUS=` says why while they are off.
    private func pingWatchdog(every interval: Duration) async {
        var reported: String?
        while !Task.isCancelled {
            let failure = await healthFacts().failure
            if let failure {
                if failure != reported { notifier.status("unhealthy, watchdog not fed: \(failure)") }
            } else {
                if reported != nil { notifier.status("serving \(servedURL)") }
                notifier.watchdogPing()
            }
            reported = failure
            // Cancelled when serving ends; the loop condition sees it.
            try? await Task.sleep(for: interval)
        }
    }

    /// Where clients mount, with the bound port (with --nfs-port 0, Ganesha's choice).
    var servedURL: String {
        "nfs://\(options.probeHost):\(endpoint?.port ?? options.ganesha.nfsPort)/\(options.volume)"
    }

    /// "10", or "2.3" for a duration with tenths.
    static func secondsText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = attoseconds / 100_000_000_000_000_000
        return tenths == 0 ? "\(seconds)" : "\(seconds).\(tenths)"
    }
}
