import ChildProcesses
import FoundationEssentials
import Glibc

extension Supervisor {
    /// Ganesha's libdbus connection ends the process within milliseconds of losing the bus
    /// (measured: under 10 ms); one still running after this is stopped or hung.
    static let ganeshaOutlivesBus: Duration = .seconds(3)
    static let givenBusWait: Duration = .seconds(10)

    /// The private bus died: Ganesha goes (or is made to go), then a new bus, a new
    /// connection of ours on it, a new Ganesha and the export, in that order. A failure
    /// anywhere ends as another exit event, which the restart budget counts.
    func restartBusAndGanesha(after delay: Duration) async {
        ganeshaRestarting()
        if let ganesha, ganesha.isRunning, await ganesha.waitForExit(timeout: Self.ganeshaOutlivesBus) == nil {
            logger.warning("Ganesha still runs \(Self.ganeshaOutlivesBus) after its bus went away and cannot be driven without one; killing it", metadata: ["pid": .stringConvertible(ganesha.pid)])
            ganesha.send(SIGKILL)
            if await ganesha.waitForExit(timeout: .seconds(5)) == nil {
                logger.error("Ganesha did not die within 5 s of SIGKILL (stuck in the kernel?); a new one may not get its port", metadata: ["pid": .stringConvertible(ganesha.pid)])
            }
        }
        forgetConnection()
        if let old = bus, old.isRunning {
            // Running but not accepting connections: of no use to anyone.
            await stopBounded(old, grace: .seconds(2))
        }
        await pause(delay)
        guard !stopAsked else { return }
        do throws(StartupError) {
            let started = try await startBus()
            bus = started.process
            busAddress = started.address
            if let process = started.process { watch(bus: process) }
        } catch {
            logger.error("restarting the private D-Bus daemon failed: \(error)")
            sink.yield(.ganeshaExited(pid: nil, how: "could not be started again: no bus (\(error))"))
            return
        }
        await startGaneshaAgain()
    }

    /// The bus named by DBUS_SYSTEM_BUS_ADDRESS is not ours to restart. It may come back on
    /// its own (a restarted system bus), so it is tried for a while; then share-manager
    /// gives up and says why. Returns false when it gives up.
    func recoverOnGivenBus(cause: String, after delay: Duration) async -> Bool {
        let address = busAddress ?? "(unknown)"
        logger.error("\(cause) unexpectedly and the D-Bus system bus at \(address) does not answer; waiting up to \(Self.givenBusWait) for it")
        ganeshaRestarting()
        let deadline = ContinuousClock.now + Self.givenBusWait
        var back = await busAnswers()
        while !back, !stopAsked, ContinuousClock.now < deadline {
            await pause(.seconds(1))
            back = await busAnswers()
        }
        guard !stopAsked else { return true }
        guard back else {
            logger.critical("the D-Bus system bus at \(address) is gone and share-manager did not start it, so it cannot restart it; Ganesha cannot run without it, exiting 1. Restart that bus, or run without DBUS_SYSTEM_BUS_ADDRESS so that share-manager starts a private bus it can restart")
            return false
        }
        logger.notice("the D-Bus system bus at \(address) answers again; restarting Ganesha")
        forgetConnection()
        await pause(delay)
        await startGaneshaAgain()
        return true
    }
}
