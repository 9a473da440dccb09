import Logging
import VolumeDevice

/// Another operation holds the volume; the caller may try again when it is done.
struct DeviceBusy: Error, CustomStringConvertible {
    let running: String
    var description: String { "a \(running) is already running on the volume; try again when it finishes" }
}

enum VolumeOperationFailure: Error, CustomStringConvertible {
    case busy(DeviceBusy)
    case device(DeviceError)

    var description: String {
        switch self {
        case .busy(let busy): "\(busy)"
        case .device(let error): "\(error)"
        }
    }
}

/// Grow and trim, shared by the schedule (`VolumeMonitor`) and the control API, and run
/// one at a time: two grow tools on one filesystem, or a trim racing a grow, gain nothing.
extension Supervisor {
    func growVolume(_ volume: PreparedVolume) async throws(VolumeOperationFailure) -> GrowOutcome {
        let logger = logger
        return try await exclusively("grow") { () async throws(DeviceError) in
            try await Self.onDeviceExecutor { () async throws(DeviceError) in
                try await FilesystemGrower(logger: logger).growIfNeeded(volume)
            }
        }
    }

    /// The bytes fstrim reported, or nil when its report could not be read.
    func trimVolume(_ volume: PreparedVolume) async throws(VolumeOperationFailure) -> Int64? {
        let logger = logger
        return try await exclusively("trim") { () async throws(DeviceError) in
            try await Self.onDeviceExecutor { () async throws(DeviceError) in
                try await Trimmer.trim(volume, logger: logger)
            }
        }
    }

    private func exclusively<T: Sendable>(
        _ name: String, _ body: () async throws(DeviceError) -> T
    ) async throws(VolumeOperationFailure) -> T {
        if let running = deviceOperation { throw .busy(DeviceBusy(running: running)) }
        deviceOperation = name
        defer { deviceOperation = nil }
        do {
            return try await body()
        } catch {
            throw .device(error)
        }
    }

    /// The scheduled grow's problem at this poll, nil when there is none: logged when it
    /// appears, changes or clears, and as a reminder while it lasts (`RepeatedProblem`).
    func noteGrowProblem(_ problem: String?) {
        for line in growProblem.note(problem) { logger.log(level: line.level, "\(line.message)") }
    }

    func probeStarting() { probeStarted = .now }

    /// Returns true when the health changed, so the caller logs transitions only.
    func setFilesystemHealth(_ health: FilesystemHealth) -> Bool {
        probeStarted = nil
        defer { filesystemHealth = health }
        return health != filesystemHealth
    }
}
