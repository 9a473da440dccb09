import ChildProcesses
import DBusKit
import GaneshaControl
import Glibc
import ServiceLifecycle
import SupervisorInterface

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

extension Supervisor {
    /// Brings back what died, counted in one budget whatever it was: Ganesha alone while
    /// its bus answers; the bus first, then Ganesha, when the bus is gone (Ganesha cannot
    /// live without it). Returns false when share-manager must give up instead.
    func recover(from cause: String, restarts policy: inout RestartPolicy) async -> Bool {
        guard let delay = policy.recordDeath() else {
            logger.error("Ganesha died \(RestartPolicy.limit + 1) times within 5 minutes (last: \(cause)); giving up so that the Pod is replaced")
            return false
        }
        if await busAnswers() {
            logger.error("\(cause) unexpectedly; restarting Ganesha in place", metadata: ["in": "\(delay)"])
            ganeshaRestarting()
            await pause(delay)
            await dropLostConnection()
            await startGaneshaAgain()
            return true
        }
        guard bus != nil else {
            return await recoverOnGivenBus(cause: cause, after: delay)
        }
        logger.error("\(cause) unexpectedly; the private D-Bus daemon does not answer, so restarting it, then Ganesha (which cannot run without it)", metadata: ["in": "\(delay)"])
        await restartBusAndGanesha(after: delay)
        return true
    }

    func ganeshaRestarting() {
        restarts += 1
        phase = .restartingGanesha
    }

    /// The second half of every restart: Ganesha, then the export (exports added over D-Bus
    /// do not survive a restart). The recovery store is untouched, so clients reclaim. A
    /// failed attempt ends as another exit event, which the policy counts.
    func startGaneshaAgain() async {
        guard !stopAsked, let busAddress else { return }
        ganesha = nil
        do throws(StartupError) {
            try await startGanesha(busAddress: busAddress)
            do throws(ControlError) { try await restoreExport() } catch { throw .exportFailed("\(error)") }
            phase = .serving
            // A restarted Ganesha gets a fresh 10 s to send its first beat.
            heartbeatWatchedSince = .now
            logger.notice("Ganesha restarted in place; clients reclaim during its grace period")
        } catch {
            // A stop asked for meanwhile: the tear-down stops this Ganesha in order, within its timeout.
            if stopAsked { return }
            logger.error("restarting Ganesha failed: \(error)")
            // Kept connections stay held for the next attempt: released now, their clients
            // would meet a closed port and back off 3 s and more. The restart budget bounds
            // the wait; giving up releases them in the tear-down.
            if let ganesha, ganesha.isRunning {
                // Its exit event, when it comes, counts as this failure.
                await stopBounded(ganesha, grace: .seconds(5))
            } else if ganesha?.exitStatus == nil {
                sink.yield(.ganeshaExited(pid: nil, how: "could not be started (\(error))"))
            }
        }
    }

    /// Whether the bus Ganesha needs is there: our daemon runs and accepts connections, or
    /// the given bus accepts a new connection.
    func busAnswers() async -> Bool {
        if let bus {
            guard bus.isRunning else { return false }
            return await Readiness.acceptingUnix(path: layout.busSocket)
        }
        guard let busAddress else { return false }
        // Any failure to connect is the answer "no".
        guard let probe = try? await DBusConnection.connect(address: busAddress, timeout: .seconds(2)) else { return false }
        probe.close()
        return true
    }

    /// A connection whose bus went away stays dead; dropping it makes `startGanesha` open a
    /// new one (and the heartbeat follower and the probes follow the new client).
    private func dropLostConnection() async {
        guard let client else { return }
        let quick = GaneshaClient(connection: client.connection, busName: client.busName, callTimeout: .seconds(2))
        do {
            _ = try await quick.isRegistered()
        } catch {
            guard case .disconnected = error else { return }
            logger.info("our D-Bus connection was lost; reconnecting")
            forgetConnection()
        }
    }

    func forgetConnection() {
        connection?.close()
        connection = nil
        client = nil
    }

    /// Sleeps `delay`, or less when a stop is asked for meanwhile.
    func pause(_ delay: Duration) async {
        guard delay > .zero else { return }
        // Ended early by the stop, which is what we want; nothing else can end it.
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
    }

    /// SIGTERM, SIGKILL after `grace`, and then at most 5 s more: a process stuck in the
    /// kernel must not stop the recovery for good (its exit, if it comes, is an event).
    func stopBounded(_ process: SupervisedProcess, grace: Duration) async {
        process.send(SIGTERM)
        guard await process.waitForExit(timeout: grace) == nil else { return }
        process.send(SIGKILL)
        if await process.waitForExit(timeout: .seconds(5)) == nil {
            logger.error("\(process.name) did not die within 5 s of SIGKILL (stuck in the kernel?)", metadata: ["pid": .stringConvertible(process.pid)])
        }
    }
}
