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
    let state: RuntimeState
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
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            await body()
        }
    }

    private func checkHealth() async {
        await state.probeStarting()
        let health = await withTaskExecutorPreference(Lifecycle.deviceExecutor) {
            FilesystemProbe(logger: logger).check(volume, readOnlyShare: readOnlyShare)
        }
        guard await state.setFilesystemHealth(health) else { return }
        switch health {
        case .readOnly(let reason): logger.error("the volume's filesystem is not writable: \(reason)")
        case .full(let full): logger.warning("\(full)")
        case .healthy: logger.notice("the volume's filesystem takes writes again")
        }
    }

    private var operations: VolumeOperations { VolumeOperations(volume: volume, state: state, logger: logger) }

    /// `settled` is the device size at which the filesystem was last found to fill it: while
    /// the device keeps that size, the poll runs no filesystem tool (dumpe2fs, xfs_info).
    /// Returns the new settled size, nil while there is something left to do.
    private func growIfNeeded(settled: Int64?) async -> Int64? {
        let grower = FilesystemGrower(logger: logger)
        let deviceNow = try? await withTaskExecutorPreference(Lifecycle.deviceExecutor) { () async throws(DeviceError) in
            try await grower.deviceSize(of: volume)
        }
        if let deviceNow, deviceNow == settled { return settled }
        do throws(VolumeOperations.Failure) {
            switch try await operations.grow() {
            case .unchanged:
                return deviceNow
            case .grown(let from, let to):
                logger.notice("filesystem grown online", metadata: ["from": "\(from)", "to": "\(to)"])
                return deviceNow
            case .deviceShrank(let device, let filesystem):
                await state.noteGrowProblem("the device (\(device) bytes) is smaller than its filesystem (\(filesystem) bytes): shrinking is not supported")
            case .onlineGrowFailed(let reason):
                await state.noteGrowProblem("online grow failed (\(reason)); the filesystem is grown at the next start")
            }
        } catch {
            // Busy: an operator's grow or trim is running; the next poll looks again.
            if case .device(let error) = error { await state.noteGrowProblem("size check failed: \(error)") }
        }
        return nil
    }

    private func trim() async {
        do {
            let trimmed = try await operations.trim()
            logger.info("fstrim done", metadata: ["bytes": "\(trimmed.map(String.init) ?? "unknown")"])
        } catch {
            logger.warning("fstrim failed: \(error)")
        }
    }
}
