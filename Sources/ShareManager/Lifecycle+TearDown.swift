import FoundationEssentials
import Glibc
import GaneshaControl
import Glibc
import ChildProcesses
import VolumeDevice

extension Lifecycle {
    /// How a bounded tear-down ended.
    enum StopOutcome: Sendable {
        case finished(clean: Bool)
        case timedOut
        case secondSignal(Int32)
    }

    /// Stops what was started, newest first, within `--shutdown-timeout`. The time counts
    /// from here: at once after a signal while serving, after the running step when the
    /// signal came during start-up (a format or a check cannot be cut short, and must not
    /// use up the time of the stop that follows). When the time runs out, or a second
    /// SIGTERM/SIGINT comes, the orderly steps are abandoned and `escalate` forces the rest.
    /// Returns false when anything was not undone in order (the log says what).
    func tearDown(_ started: Started) async -> Bool {
        let began = ContinuousClock.now
        let deadline = began + options.shutdownTimeout
        let progress = TearDownProgress()
        // The orderly steps run in a task of their own: one of them may block in the kernel
        // (a umount of a hung device) or wait on a stopped Ganesha, and the escalation must
        // not wait for it.
        let (outcomes, report) = AsyncStream.makeStream(of: StopOutcome.self)
        Task { report.yield(.finished(clean: await tearDownInOrder(started, deadline: deadline, progress: progress))) }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled { report.yield(.timedOut) }
        }
        let listener = Task {
            if let sig = await stop.secondSignal() { report.yield(.secondSignal(sig)) }
        }
        var iterator = outcomes.makeAsyncIterator()
        let outcome = await iterator.next() ?? .timedOut
        timer.cancel()
        listener.cancel()
        report.finish()

        let elapsed = Self.secondsText(ContinuousClock.now - began)
        switch outcome {
        case .finished(let clean):
            return clean
        case .timedOut:
            await escalate(started, progress: progress, cause: "after \(Self.secondsText(options.shutdownTimeout)) s")
        case .secondSignal(let sig):
            await escalate(started, progress: progress, cause: "by a second signal (\(TerminationSignals.name(sig))) after \(elapsed) s")
        }
        return false
    }

    /// The orderly stop. Its waits have no bound of their own: `tearDown` bounds them all.
    private func tearDownInOrder(_ started: Started, deadline: ContinuousClock.Instant, progress: TearDownProgress) async -> Bool {
        var clean = true
        if let ganesha = started.ganesha, ganesha.isRunning {
            await stopGanesha(ganesha, client: started.client, deadline: deadline)
            guard !progress.isAbandoned else { return false }
            logger.info("Ganesha stopped", metadata: ["how": "\(ganesha.exitStatus.map { "\($0)" } ?? "?")"])
        }
        guard !progress.isAbandoned else { return false }
        started.connection?.close()
        if let bus = started.bus, bus.isRunning {
            bus.send(SIGTERM)
            let status = await bus.waitForExit()
            guard !progress.isAbandoned else { return false }
            logger.info("private D-Bus daemon stopped", metadata: ["how": "\(status)"])
        }
        try? FileManager.default.removeItem(atPath: layout.busPidFile)
        if let volume = started.volume {
            do {
                try await withTaskExecutorPreference(Self.deviceExecutor) {
                    guard !progress.isAbandoned else { return }
                    try await VolumePreparer.release(volume, logger: logger)
                }
                guard !progress.isAbandoned else { return false }
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
    private func stopGanesha(_ ganesha: SupervisedProcess, client: GaneshaClient?, deadline: ContinuousClock.Instant) async {
        var asked = false
        if let client {
            // A hung Ganesha must leave time for the SIGTERM fallback.
            let half = (deadline - .now) / 2
            let bounded = GaneshaClient(
                connection: client.connection, busName: client.busName,
                callTimeout: max(.milliseconds(200), min(client.callTimeout, half))
            )
            do {
                try await bounded.shutdown()
                asked = true
            } catch {
                logger.warning("D-Bus shutdown failed (\(error)); sending SIGTERM")
            }
        }
        if !asked { ganesha.send(SIGTERM) }
        _ = await ganesha.waitForExit()
    }

    /// "10", or "2.3" for a duration with tenths.
    static func secondsText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = attoseconds / 100_000_000_000_000_000
        return tenths == 0 ? "\(seconds)" : "\(seconds).\(tenths)"
    }
}
