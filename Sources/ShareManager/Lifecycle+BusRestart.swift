import FoundationEssentials
import Glibc
import Glibc
import ChildProcesses

extension Lifecycle {
    /// Ganesha's libdbus connection ends the process within milliseconds of losing the bus
    /// (measured: under 10 ms); one still running after this is stopped or hung.
    static let ganeshaOutlivesBus: Duration = .seconds(3)

    /// Reports the private bus's exit as an event, and writes its pid for operators and
    /// tests (the daemon runs with --nopidfile).
    func watch(bus: SupervisedProcess, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation) {
        do {
            try "\(bus.pid)\n".write(toFile: layout.busPidFile, atomically: true, encoding: .utf8)
        } catch {
            logger.warning("cannot write \(layout.busPidFile): \(error)")
        }
        bus.onExit { [pid = bus.pid] in sink.yield(.busExited(pid: pid, how: "\($0)")) }
    }

    /// The private bus died: Ganesha goes (or is made to go), then a new bus, a new
    /// connection of ours on it, a new Ganesha and the export, in that order. A failure
    /// anywhere ends as another exit event, which the restart budget counts.
    func restartBusAndGanesha(
        _ started: Started, after delay: Duration, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async {
        await state.ganeshaRestarting()
        if let ganesha = started.ganesha, ganesha.isRunning, await ganesha.waitForExit(timeout: Self.ganeshaOutlivesBus) == nil {
            logger.warning("Ganesha still runs \(Self.ganeshaOutlivesBus) after its bus went away and cannot be driven without one; killing it", metadata: ["pid": "\(ganesha.pid)"])
            ganesha.send(SIGKILL)
            if await ganesha.waitForExit(timeout: .seconds(5)) == nil {
                logger.error("Ganesha did not die within 5 s of SIGKILL (stuck in the kernel?); a new one may not get its port", metadata: ["pid": "\(ganesha.pid)"])
            }
        }
        forgetConnection(started)
        if let old = started.bus, old.isRunning {
            // Running but not accepting connections: of no use to anyone.
            await stopBounded(old, grace: .seconds(2))
        }
        await pause(delay)
        guard !stop.isRequested else { return }
        do {
            let bus = try await startBus()
            started.bus = bus.process
            started.busAddress = bus.address
            if let process = bus.process { watch(bus: process, sink: sink) }
        } catch {
            logger.error("restarting the private D-Bus daemon failed: \(error)")
            sink.yield(.ganeshaExited(pid: nil, how: "could not be started again: no bus (\(error))"))
            return
        }
        await startGaneshaAgain(started, sink: sink)
    }

    /// The bus named by DBUS_SYSTEM_BUS_ADDRESS is not ours to restart. It may come back on
    /// its own (a restarted system bus), so it is tried for a while; then share-manager
    /// gives up and says why. Returns the exit code when it gives up.
    func recoverOnGivenBus(
        _ started: Started, cause: String, after delay: Duration, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async -> Int32? {
        let address = started.busAddress ?? "(unknown)"
        logger.error("\(cause) unexpectedly and the D-Bus system bus at \(address) does not answer; waiting up to \(Self.givenBusWait) for it")
        await state.ganeshaRestarting()
        let back = await Readiness.poll(timeout: Self.givenBusWait, interval: .seconds(1)) {
            if stop.isRequested { return true }
            return await busAnswers(started)
        }
        guard !stop.isRequested else { return nil }
        guard back else {
            logger.critical("the D-Bus system bus at \(address) is gone and share-manager did not start it, so it cannot restart it; Ganesha cannot run without it, exiting 1. Restart that bus, or run without DBUS_SYSTEM_BUS_ADDRESS so that share-manager starts a private bus it can restart")
            return 1
        }
        logger.notice("the D-Bus system bus at \(address) answers again; restarting Ganesha")
        forgetConnection(started)
        await pause(delay)
        await startGaneshaAgain(started, sink: sink)
        return nil
    }

    static let givenBusWait: Duration = .seconds(10)

    /// SIGTERM, SIGKILL after `grace`, and then at most 5 s more: a process stuck in the
    /// kernel must not stop the recovery for good (its exit, if it comes, is an event).
    func stopBounded(_ process: SupervisedProcess, grace: Duration) async {
        process.send(SIGTERM)
        guard await process.waitForExit(timeout: grace) == nil else { return }
        process.send(SIGKILL)
        if await process.waitForExit(timeout: .seconds(5)) == nil {
            logger.error("\(process.name) did not die within 5 s of SIGKILL (stuck in the kernel?)", metadata: ["pid": "\(process.pid)"])
        }
    }
}
