import FoundationEssentials
import GaneshaConfig
import GaneshaControl
import Logging
import NIOPosix
import ShareLogging
import SupervisorInterface
import VolumeDevice

extension Supervisor {
    public func status() async -> ControlMessage.Status {
        var active: Bool?
        if let client = liveClient(timeout: .seconds(2)) {
            // No answer within the bound: "not known" (nil), which the field allows.
            active = (try? await client.showExports())?.contains { $0.id == GaneshaSettings.exportID }
        }
        return ControlMessage.Status(
            volume: options.volume.value, version: version, phase: phase.rawValue, device: await device(),
            export: .init(
                pseudo: "/\(options.volume)", path: volume?.exportPath ?? options.ganesha.exportPath.value,
                exportID: Int(GaneshaSettings.exportID), accessType: options.ganesha.accessType.rawValue,
                active: active, offline: exportOffline),
            grace: graceMessage(),
            ganesha: .init(pid: ganesha?.pid, running: ganesha?.isRunning ?? false, restarts: restarts),
            endpoint: endpoint)
    }

    private func device() async -> ControlMessage.Device? {
        guard let volume else { return nil }
        let space = await Self.space(of: volume.mountPoint)
        var full: [String] = []
        let health: String
        switch filesystemHealth {
        case .healthy: health = "healthy"
        case .full(let space):
            health = "\(space)"
            full = space.resources.map(\.rawValue)
        case .readOnly(let reason): health = "not writable: \(reason)"
        }
        return .init(
            path: volume.devicePath, filesystem: volume.filesystem.rawValue, mountPoint: volume.mountPoint,
            adopted: volume.adopted, formattedThisStart: volume.formatted,
            sizeBytes: space.map { Int64(clamping: $0.sizeBytes) }, availableBytes: space.map { Int64(clamping: $0.availableBytes) },
            health: health, full: full)
    }

    public func clients() async -> ControlMessage.Clients {
        var connected: [ControlMessage.ConnectedClient] = []
        // Ganesha not answering lists no connected clients; the records still show.
        if let client = liveClient(timeout: .seconds(2)), let listed = try? await client.showClients() {
            connected = NFSClients.served(listed).map {
                .init(address: $0.address, protocols: $0.activeProtocols,
                      lastActivity: $0.lastActivity.map { Double($0.seconds) + Double($0.nanoseconds) / 1e9 })
            }
        }
        let root = grace.watchedRoot
        // The records live on the volume: read on NIO's pool for blocking work, off the actor
        // and the cooperative pool. A pool shutting down means we are exiting: none listed.
        let recorded = (try? await NIOThreadPool.singleton.runIfActive { Self.recordedClients(root: root) }) ?? []
        return .init(connected: connected, recorded: recorded, grace: graceMessage())
    }

    /// The recovery store's records: the previous instance's (`v4old`) and the running one's
    /// (`v4recov`); a client in both has reclaimed.
    private nonisolated static func recordedClients(root: String?) -> [ControlMessage.RecordedClient] {
        guard let root else { return [] }
        let names = { (generation: String) in
            // A generation Ganesha has not created yet holds no records.
            Set((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(generation)/node0")) ?? [])
        }
        let old = names("v4old")
        let current = names("v4recov")
        return old.union(current).sorted().map { record in
            let address = record.firstRange(of: "-(").map { String(record[..<$0.lowerBound]) } ?? record
            return .init(
                record: record, address: address, previousInstance: old.contains(record),
                current: current.contains(record), reclaimed: old.contains(record) && current.contains(record))
        }
    }

    private func servedVolume() throws(ControlError) -> PreparedVolume {
        guard let volume else { throw .notReady("the volume is not mounted yet") }
        guard !options.readOnly else { throw .conflict("this share is read-only (--access-type RO): it is never grown or trimmed") }
        return volume
    }

    public func grow() async throws(ControlError) -> ControlMessage.Resize {
        let volume = try servedVolume()
        let outcome: GrowOutcome
        do throws(VolumeOperationFailure) {
            outcome = try await growVolume(volume)
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
            logger.notice("filesystem grown online (asked over the control API)", metadata: ["fromBytes": .stringConvertible(from), "toBytes": .stringConvertible(to)])
            return .init(outcome: "grown", fromBytes: from, toBytes: to, message: "grown online")
        case .deviceShrank(let device, let filesystem):
            throw .conflict("the device (\(device) bytes) is smaller than its filesystem (\(filesystem) bytes): shrinking is not supported")
        case .onlineGrowFailed(let reason):
            throw .failed("online grow failed (\(reason)); the filesystem is grown at the next start")
        }
    }

    public func trim() async throws(ControlError) -> ControlMessage.Trim {
        let volume = try servedVolume()
        do throws(VolumeOperationFailure) {
            return .init(trimmedBytes: try await trimVolume(volume))
        } catch {
            switch error {
            case .busy(let busy): throw .conflict("\(busy)")
            case .device(let error): throw .failed("fstrim failed: \(error)")
            }
        }
    }
}
