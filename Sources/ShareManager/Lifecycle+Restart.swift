import DBusKit
import FoundationEssentials
import Glibc
import GaneshaConfig
import GaneshaControl
import ChildProcesses

/// When to restart a Ganesha that died, and when to stop trying: a crash loop is better
/// handled by Kubernetes replacing the Pod (perhaps on another node) than by us.
struct RestartPolicy {
    /// Restarts allowed within `window`; one more death and share-manager exits non-zero.
    static let limit = 5
    static let window: Duration = .seconds(300)

    private var deaths: [ContinuousClock.Instant] = []

    /// Records a death; returns how long to wait before restarting, or nil to give up.
    /// The first restart is immediate (clients are waiting), then 1, 2, 4, 8 s.
    mutating func recordDeath(at now: ContinuousClock.Instant = .now) -> Duration? {
        deaths = deaths.filter { now - $0 < Self.window } + [now]
        guard deaths.count <= Self.limit else { return nil }
        return deaths.count == 1 ? .zero : .seconds(1 << (deaths.count - 2))
    }
}

extension Lifecycle {
    /// Brings back what died, counted in one budget whatever it was: Ganesha alone while
    /// its bus answers; the bus first, then Ganesha, when the bus is gone (Ganesha cannot
    /// live without it). Returns an exit code when share-manager must give up instead.
    func recover(
        _ started: Started, from cause: String, restarts: inout RestartPolicy,
        sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async -> Int32? {
        guard let delay = restarts.recordDeath() else {
            logger.error("Ganesha died \(RestartPolicy.limit + 1) times within 5 minutes (last: \(cause)); giving up so that the Pod is replaced")
            return 1
        }
        if await busAnswers(started) {
            logger.error("\(cause) unexpectedly; restarting Ganesha in place", metadata: ["in": "\(delay)"])
            await restartGanesha(started, after: delay, sink: sink)
            return nil
        }
        guard started.bus != nil else {
            return await recoverOnGivenBus(started, cause: cause, after: delay, sink: sink)
        }
        logger.error("\(cause) unexpectedly; the private D-Bus daemon does not answer, so restarting it, then Ganesha (which cannot run without it)", metadata: ["in": "\(delay)"])
        await restartBusAndGanesha(started, after: delay, sink: sink)
        return nil
    }

    /// Starts Ganesha again on the same mount and bus and re-adds the export (exports added
    /// over D-Bus do not survive a restart). The recovery store is untouched, so clients
    /// reclaim. A failed attempt ends as another exit event, which the policy counts.
    func restartGanesha(
        _ started: Started, after delay: Duration, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async {
        await state.ganeshaRestarting()
        await pause(delay)
        await dropLostConnection(started)
        await startGaneshaAgain(started, sink: sink)
    }

    /// The second half of every restart: Ganesha, then the export.
    func startGaneshaAgain(_ started: Started, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation) async {
        guard !stop.isRequested, let busAddress = started.busAddress else { return }
        started.ganesha = nil
        do {
            try await startGanesha(started, busAddress: busAddress, sink: sink)
            try await addExport(started)
            await state.ganeshaServingAgain()
            logger.notice("Ganesha restarted in place; clients reclaim during its grace period")
        } catch {
            // A stop asked for meanwhile: the tear-down stops this Ganesha in order, within its timeout.
            if stop.isRequested { return }
            logger.error("restarting Ganesha failed: \(error)")
            if let ganesha = started.ganesha, ganesha.isRunning {
                // Its exit event, when it comes, counts as this failure.
                await stopBounded(ganesha, grace: .seconds(5))
            } else if started.ganesha?.exitStatus == nil {
                sink.yield(.ganeshaExited(pid: nil, how: "could not be started (\(error))"))
            }
        }
    }

    /// Whether the bus Ganesha needs is there: our daemon runs and accepts connections, or
    /// the given bus accepts a new connection.
    func busAnswers(_ started: Started) async -> Bool {
        if let bus = started.bus {
            return bus.isRunning && Readiness.acceptsUnix(path: layout.busSocket)
        }
        guard let address = started.busAddress,
              let probe = try? await DBusConnection.connect(address: address, timeout: .seconds(2))
        else { return false }
        probe.close()
        return true
    }

    /// A connection whose bus went away stays dead; dropping it makes `startGanesha` open a
    /// new one (and the heartbeat follower and the probes follow the new client).
    private func dropLostConnection(_ started: Started) async {
        guard let client = started.client else { return }
        let quick = GaneshaClient(connection: client.connection, busName: client.busName, callTimeout: .seconds(2))
        do {
            _ = try await quick.isRegistered()
        } catch {
            guard case .disconnected = error else { return }
            logger.info("our D-Bus connection was lost; reconnecting")
            forgetConnection(started)
        }
    }

    func forgetConnection(_ started: Started) {
        started.connection?.close()
        started.connection = nil
        started.client = nil
    }

    /// Sleeps `delay`, or less when a stop is requested meanwhile.
    func pause(_ delay: Duration) async {
        let end = ContinuousClock.now + delay
        while !stop.isRequested, ContinuousClock.now < end {
            try? await Task.sleep(for: min(.milliseconds(100), end - .now))
        }
    }
}
