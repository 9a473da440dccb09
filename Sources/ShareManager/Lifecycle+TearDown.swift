import GaneshaControl
import Glibc
import Supervision
import VolumeDevice

extension Lifecycle {
    /// Stops what was started, newest first. Returns false when something could not be
    /// undone (the log says what).
    func tearDown(_ started: Started) async -> Bool {
        var clean = true
        if let ganesha = started.ganesha, ganesha.isRunning {
            clean = await stopGanesha(ganesha, client: started.client) && clean
        }
        started.connection?.close()
        if let bus = started.bus {
            let status = await bus.terminate(grace: .seconds(3))
            logger.info("private D-Bus daemon stopped", metadata: ["how": "\(status)"])
        }
        if let volume = started.volume {
            do {
                try await withTaskExecutorPreference(Self.deviceExecutor) {
                    try await VolumePreparer.release(volume, logger: logger)
                }
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
    private func stopGanesha(_ ganesha: SupervisedProcess, client: GaneshaClient?) async -> Bool {
        var asked = false
        if let client {
            do {
                try await client.shutdown()
                asked = true
            } catch {
                logger.warning("D-Bus shutdown failed (\(error)); sending SIGTERM")
            }
        }
        if !asked { ganesha.send(SIGTERM) }
        if let status = await ganesha.waitForExit(timeout: .seconds(8)) {
            logger.info("Ganesha stopped", metadata: ["how": "\(status)"])
            return true
        }
        logger.error("Ganesha did not stop within 8 s; killing it (clients will reclaim after the grace period)")
        ganesha.send(SIGKILL)
        _ = await ganesha.waitForExit()
        return false
    }
}
