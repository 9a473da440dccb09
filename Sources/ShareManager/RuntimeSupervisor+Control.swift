import FoundationEssentials
import GaneshaConfig
import GaneshaControl
import Glibc
import Logging
import RunSettings
import SupervisorInterface
import VolumeDevice

/// Part of the TEMPORARY bridge (see `RuntimeSupervisor`): the control API's reads, grow
/// and trim. Changes go through the same paths the lifecycle uses, so an operator's action
/// and a scheduled one cannot collide.
extension RuntimeSupervisor {
    func status() async -> ControlMessage.Status {
        let (phase, process, _) = await state.snapshot()
        var active: Bool?
        if let client = await ganesha() {
            active = (try? await client.showExports())?.contains { $0.id == GaneshaSettings.exportID }
        }
        return ControlMessage.Status(
            volume: options.volume.value, version: ShareManagerCommand.version, phase: phase.rawValue,
            device: await device(),
            export: .init(
                pseudo: "/\(options.volume)", path: (await state.volume)?.exportPath ?? options.ganesha.exportPath.value,
                exportID: Int(GaneshaSettings.exportID), accessType: options.ganesha.accessType.rawValue,
                active: active, offline: await state.exportOffline
            ),
            grace: grace(),
            ganesha: .init(pid: process?.pid, running: process?.isRunning ?? false, restarts: await state.ganeshaRestarts),
            endpoint: await state.endpoint
        )
    }

    private func device() async -> ControlMessage.Device? {
        guard let volume = await state.volume else { return nil }
        let space = Self.space(of: volume.mountPoint)
        let health: String
        var full: [String] = []
        switch await state.filesystemHealth {
        case .healthy: health = "healthy"
        case .full(let space):
            health = "\(space)"
            full = space.resources.map(\.rawValue)
        case .readOnly(let reason): health = "not writable: \(reason)"
        }
        return .init(
            path: volume.devicePath, filesystem: volume.filesystem.rawValue, mountPoint: volume.mountPoint,
            adopted: volume.adopted, formattedThisStart: volume.formatted, sizeBytes: space.map { Int64(clamping: $0.sizeBytes) },
            availableBytes: space.map { Int64(clamping: $0.availableBytes) },
            health: health, full: full
        )
    }

    func grace() -> ControlMessage.Grace {
        let grace = state.grace.current
        return .init(
            active: grace.active, remainingSeconds: Int(grace.remaining.components.seconds),
            recordedClients: grace.recordedClients, reclaimedClients: grace.reclaimedClients, pending: grace.pending
        )
    }

    func clients() async -> ControlMessage.Clients {
        var connected: [ControlMessage.ConnectedClient] = []
        if let client = await ganesha(), let listed = try? await client.showClients() {
            connected = listed.map {
                .init(address: $0.address, protocols: $0.activeProtocols,
                      lastActivity: $0.lastActivity.map { Double($0.seconds) + Double($0.nanoseconds) / 1e9 })
            }
        }
        return .init(connected: connected, recorded: recordedClients(), grace: grace())
    }

    /// The recovery store's records: the previous instance's (`v4old`) and the running one's
    /// (`v4recov`); a client in both has reclaimed.
    private func recordedClients() -> [ControlMessage.RecordedClient] {
        guard let root = state.grace.watchedRoot else { return [] }
        let names = { (generation: String) in
            Set((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(generation)/node0")) ?? [])
        }
        let old = names("v4old")
        let current = names("v4recov")
        return old.union(current).sorted().map { record in
            let address = record.firstRange(of: "-(").map { String(record[..<$0.lowerBound]) } ?? record
            return .init(
                record: record, address: address, previousInstance: old.contains(record),
                current: current.contains(record), reclaimed: old.contains(record) && current.contains(record)
            )
        }
    }

    private func servedVolume() async throws(ControlError) -> PreparedVolume {
        guard let volume = await state.volume else { throw .notReady("the volume is not mounted yet") }
        guard !options.readOnly else { throw .conflict("this share is read-only (--access-type RO): it is never grown or trimmed") }
        return volume
    }

    func grow() async throws(ControlError) -> ControlMessage.Resize {
        let operations = VolumeOperations(volume: try await servedVolume(), state: state, logger: logger)
        let outcome: GrowOutcome
        do throws(VolumeOperations.Failure) {
            outcome = try await operations.grow()
        } catch {
            switch error {
            case .busy(let busy): throw .conflict("\(busy)")
            case .device(let error): throw .failed("cannot read the sizes: \(error)")
            }
        }
        switch outcome {
        case .unchanged:
            return .init(outcome: "unchanged", message: "the filesystem already fills the device")
        case .grown(let from, let to):
            logger.notice("filesystem grown online (asked over the control API)", metadata: ["from": "\(from)", "to": "\(to)"])
            return .init(outcome: "grown", fromBytes: from, toBytes: to, message: "grown online")
        case .deviceShrank(let device, let filesystem):
            throw .conflict("the device (\(device) bytes) is smaller than its filesystem (\(filesystem) bytes): shrinking is not supported")
        case .onlineGrowFailed(let reason):
            throw .failed("online grow failed (\(reason)); the filesystem is grown at the next start")
        }
    }

    func trim() async throws(ControlError) -> ControlMessage.Trim {
        let operations = VolumeOperations(volume: try await servedVolume(), state: state, logger: logger)
        do throws(VolumeOperations.Failure) {
            return .init(trimmedBytes: try await operations.trim())
        } catch {
            switch error {
            case .busy(let busy): throw .conflict("\(busy)")
            case .device(let error): throw .failed("fstrim failed: \(error)")
            }
        }
    }
}
