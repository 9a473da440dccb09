import ChildProcesses
import FoundationEssentials
import GaneshaControl
import Glibc
import UnixSignals
import VolumeDevice

extension Supervisor {
    /// How a bounded tear-down ended.
    enum StopOutcome: Sendable {
        case finished(clean: Bool)
        case timedOut
        case secondSignal(UnixSignal)
    }

    /// Stops what was started, newest first, within `--shutdown-timeout`: the group cancels
    /// us when its `maximumGracefulShutdownDuration` (the same value) has passed since the
    /// signal; our own deadline counts from here, for a stop that begins only after a long
    /// start-up step (a format cannot be cut short and must not use up the stop's time).
    /// When either runs out, or a second SIGTERM/SIGINT comes, the orderly steps are
    /// abandoned and `escalate` forces the rest. Returns false when anything was not undone
    /// in order (the log says what).
    func tearDown() async -> Bool {
        // A Ganesha stopped in order is not restarted; the next server may be another instance.
        portHold.disarm()
        // Ganesha's own stop must close its connections; a duplicate of ours would hide it.
        keeper.release()
        let began = ContinuousClock.now
        let deadline = began + options.shutdownTimeout
        let (outcomes, report) = AsyncStream.makeStream(of: StopOutcome.self)
        let cancelledAlready = Task.isCancelled
        // The race and the escalation run in a task of their own: their waits must still work
        // after the group cancelled us, which is itself one of the outcomes.
        return await withTaskCancellationHandler {
            await Task { await self.stop(outcomes, report, began: began, deadline: deadline) }.value
        } onCancel: {
            if !cancelledAlready { report.yield(.timedOut) }
        }
    }

    private func stop(
        _ outcomes: AsyncStream<StopOutcome>, _ report: AsyncStream<StopOutcome>.Continuation,
        began: ContinuousClock.Instant, deadline: ContinuousClock.Instant
    ) async -> Bool {
        let outcome = await race(outcomes, report, deadline: deadline)
        let elapsed = Self.secondsText(ContinuousClock.now - began)
        switch outcome {
        case .finished(let clean):
            return clean
        case .timedOut:
            await escalate(cause: "after \(Self.secondsText(options.shutdownTimeout)) s")
        case .secondSignal(let signal):
            await escalate(cause: "by a second signal (\(signal)) after \(elapsed) s")
        }
        return false
    }

    private func race(
        _ outcomes: AsyncStream<StopOutcome>, _ report: AsyncStream<StopOutcome>.Continuation, deadline: ContinuousClock.Instant
    ) async -> StopOutcome {
        // The orderly steps run unstructured: one may block in the kernel (a umount of a hung
        // device) or wait on a stopped Ganesha, and the escalation must not wait for it.
        Task { report.yield(.finished(clean: await self.tearDownInOrder(deadline: deadline))) }
        return await withTaskGroup(of: StopOutcome?.self) { group in
            group.addTask { await outcomes.first { _ in true } }
            group.addTask {
                // Ended early only by the group finishing first.
                try? await Task.sleep(until: deadline, clock: .continuous)
                return Task.isCancelled ? nil : .timedOut
            }
            group.addTask { await self.secondSignal.first { _ in true }.map { .secondSignal($0) } }
            let first = await group.next() ?? nil
            group.cancelAll()
            report.finish()
            return first ?? .timedOut
        }
    }

    /// The orderly stop. Its waits have no bound of their own: `tearDown` bounds them all.
    private func tearDownInOrder(deadline: ContinuousClock.Instant) async -> Bool {
        var clean = true
        if let ganesha, ganesha.isRunning {
            await stopGanesha(ganesha, deadline: deadline)
            guard !abandoned else { return false }
            logger.info("Ganesha stopped", metadata: ["how": "\(ganesha.exitStatus.map { "\($0)" } ?? "?")"])
        }
        guard !abandoned else { return false }
        connection?.close()
        if let bus, bus.isRunning {
            bus.send(SIGTERM)
            let status = await bus.waitForExit()
            guard !abandoned else { return false }
            logger.info("private D-Bus daemon stopped", metadata: ["how": "\(status)"])
        }
        // Written by us for operators; gone already is as good.
        try? FileManager.default.removeItem(atPath: layout.busPidFile)
        if let volume {
            let logger = logger
            do throws(DeviceError) {
                try await Self.onDeviceExecutor { () async throws(DeviceError) in
                    try await VolumePreparer.release(volume, logger: logger)
                }
                guard !abandoned else { return false }
                logger.info("volume unmounted", metadata: ["mountPoint": "\(volume.mountPoint)"])
            } catch {
                logger.error("\(error)")
                clean = false
            }
        }
        return clean
    }

    /// Ganesha's orderly stop (D-Bus admin.shutdown, SIGTERM as fallback) keeps the client
    /// recovery records, so the next instance offers reclaim. The export is deliberately
    /// not removed first: that would give clients with open files "stale file handle".
    private func stopGanesha(_ ganesha: SupervisedProcess, deadline: ContinuousClock.Instant) async {
        var asked = false
        // A hung Ganesha must leave time for the SIGTERM fallback.
        if let client = liveClient(timeout: max(.milliseconds(200), (deadline - .now) / 2)) {
            do {
                try await client.shutdown()
                asked = true
            } catch {
                logger.warning("D-Bus shutdown failed (\(error)); sending SIGTERM")
            }
        }
        if !asked { ganesha.send(SIGTERM) }
        _ = await ganesha.waitForExit()
    }
}
