import Logging
import VolumeDevice

/// Grow and trim, shared by the schedule (`VolumeMonitor`) and the control API, and run
/// one at a time: two grow tools on one filesystem, or a trim racing a grow, gain nothing.
struct VolumeOperations: Sendable {
    let volume: PreparedVolume
    let state: RuntimeState
    let logger: Logger

    /// Another operation holds the volume; the caller may try again when it is done.
    struct Busy: Error, CustomStringConvertible {
        let running: String
        var description: String { "a \(running) is already running on the volume; try again when it finishes" }
    }

    enum Failure: Error, CustomStringConvertible {
        case busy(Busy)
        case device(DeviceError)

        var description: String {
            switch self {
            case .busy(let busy): "\(busy)"
            case .device(let error): "\(error)"
            }
        }
    }

    func grow() async throws(Failure) -> GrowOutcome {
        try await exclusively("grow") { () async throws(DeviceError) in
            try await withTaskExecutorPreference(Lifecycle.deviceExecutor) { () async throws(DeviceError) in
                try await FilesystemGrower(logger: logger).growIfNeeded(volume)
            }
        }
    }

    /// The bytes fstrim reported, or nil when its report could not be read.
    func trim() async throws(Failure) -> Int64? {
        try await exclusively("trim") { () async throws(DeviceError) in
            try await withTaskExecutorPreference(Lifecycle.deviceExecutor) { () async throws(DeviceError) in
                try await Trimmer.trim(volume, logger: logger)
            }
        }
    }

    private func exclusively<T: Sendable>(
        _ name: String, _ body: () async throws(DeviceError) -> T
    ) async throws(Failure) -> T {
        if let running = await state.beginDeviceOperation(name) { throw .busy(Busy(running: running)) }
        do {
            let result = try await body()
            await state.endDeviceOperation()
            return result
        } catch {
            await state.endDeviceOperation()
            throw .device(error)
        }
    }
}
