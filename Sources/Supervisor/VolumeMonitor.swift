import GaneshaControl
import Logging
import VolumeDevice

/// Watches the mounted volume while it is served: a write probe that finds a filesystem
/// gone read-only (statvfs and mountinfo do not reliably say), a size poll that grows the
/// filesystem when the device grew, and scheduled fstrim. Runs until cancelled.
struct VolumeMonitor: Sendable {
    static let healthInterval: Duration = .seconds(5)
    static let growInterval: Duration = .seconds(5)

    let volume: PreparedVolume
    let readOnlyShare: Bool
    let trimInterval: Int
    let supervisor: Supervisor
    let logger: Logger

    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await every(Self.healthInterval) { await checkHealth() } }
            if !readOnlyShare {
                group.addTask {
                    var settled: Int64?
                    await every(Self.growInterval) { settled = await growIfNeeded(settled: settled) }
                }
            }
            if trimInterval > 0 {
                group.addTask { await every(.seconds(trimInterval), startNow: false) { await trim() } }
            }
        }
    }

    private func every(_ interval: Duration, startNow: Bool = true, _ body: () async -> Void) async {
        if startNow { await body() }
        while !Task.isCancelled {
            // Cancelled when serving ends; the loop condition sees it.
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            await body()
        }
    }

    private func checkHealth() async {
        await supervisor.probeStarting()
        let health = await Supervisor.onDeviceExecutor {
            FilesystemProbe(logger: logger).check(volume, readOnlyShare: readOnlyShare)
        }
        guard await supervisor.setFilesystemHealth(health) else { return }
        switch health {
        case .readOnly(let reason): logger.error("the volume's filesystem is not writable: \(reason)")
        case .full(let full): logger.warning("\(full)")
        case .healthy: logger.notice("the volume's filesystem takes writes again")
        }
    }

    /// `settled` is the device size at which the filesystem was last found to fill it: while
    /// the device keeps that size, the poll runs no filesystem tool (dumpe2fs, xfs_info).
    /// Returns the new settled size, nil while there is something left to do.
    private func growIfNeeded(settled: Int64?) async -> Int64? {
        let grower = FilesystemGrower(logger: logger)
        let deviceNow: Int64
        do throws(DeviceError) {
            deviceNow = try await Supervisor.onDeviceExecutor { () async throws(DeviceError) in
                try await grower.deviceSize(of: volume)
            }
        } catch {
            await supervisor.noteGrowProblem("size check failed: \(error)")
            return nil
        }
        if deviceNow == settled {
            await supervisor.noteGrowProblem(nil)
            return settled
        }
        do throws(VolumeOperationFailure) {
            switch try await supervisor.growVolume(volume) {
            case .unchanged:
                await supervisor.noteGrowProblem(nil)
                return deviceNow
            case .grown(let from, let to):
                await supervisor.noteGrowProblem(nil)
                logger.notice("filesystem grown online", metadata: ["fromBytes": .stringConvertible(from), "toBytes": .stringConvertible(to)])
                return deviceNow
            case .deviceShrank(let device, let filesystem):
                await supervisor.noteGrowProblem("the device (\(device) bytes) is smaller than its filesystem (\(filesystem) bytes): shrinking is not supported")
            case .onlineGrowFailed(let reason):
                await supervisor.noteGrowProblem("online grow failed (\(reason)); the filesystem is grown at the next start")
            }
        } catch {
            // Busy: an operator's grow or trim is running; the next poll looks again.
            if case .device(let error) = error { await supervisor.noteGrowProblem("size check failed: \(error)") }
        }
        return nil
    }

    private func trim() async {
        do throws(VolumeOperationFailure) {
            let trimmed = try await supervisor.trimVolume(volume)
            logger.info("fstrim done", metadata: trimmed.map { ["bytes": .stringConvertible($0)] } ?? [:])
        } catch {
            logger.warning("fstrim failed: \(error)")
        }
    }
}

/// Follows Ganesha's heartbeat, which it sends about once a second while healthy. A
/// subscription follows whoever owns the bus name, so it survives in-place restarts of
/// Ganesha; it ends with the bus. A new bus brings a new client of ours, and the monitor is
/// replaced with it. A lost subscription is tried again every second, since a stale beat
/// must not be mistaken for a hang of our own making.
struct HeartbeatFollower: Sendable {
    let supervisor: Supervisor

    func run() async {
        var current: (connection: ObjectIdentifier, monitor: HeartbeatMonitor)?
        // One warning per outage, not one a second while the bus is being restarted.
        var warned = false
        while !Task.isCancelled {
            if let monitor = await supervisor.heartbeatMonitor(replacing: current?.connection) {
                current = monitor
                warned = false
            }
            if let monitor = current?.monitor {
                let beatsBefore = monitor.beatCount
                do {
                    try await monitor.run()
                } catch {
                    if monitor.beatCount != beatsBefore { warned = false }
                    if !warned { supervisor.logger.warning("heartbeat subscription ended: \(error); retrying every second") }
                    warned = true
                }
            }
            // The retry interval; cancelled when serving ends.
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
