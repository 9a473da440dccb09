import Foundation
import Logging

/// Turns a device into a mounted share-manager filesystem: format only when blank, check,
/// mount; and undoes it on release. Everything it refuses, it refuses before writing a byte.
public struct VolumePreparer: Sendable {
    public let volume: String
    /// A block device, or a regular file that is attached to a loop device first.
    public let device: String
    public let mountPoint: String
    /// The filesystem to format a blank device with; an existing one must match it.
    public let fsType: FilesystemType
    let logger: Logger
    var runner: ToolRunner { ToolRunner(logger: logger) }

    public init(volume: String, device: String, mountPoint: String, fsType: FilesystemType, logger: Logger) {
        self.volume = volume
        self.device = device
        self.mountPoint = mountPoint
        self.fsType = fsType
        var logger = logger
        logger[metadataKey: "volume"] = "\(volume)"
        self.logger = logger
    }

    /// Attaches (for an image file), probes, formats when blank, checks and mounts
    /// read-write. Blocks while the tools run; call it off the cooperative pool.
    /// On failure, whatever it attached or mounted has been undone.
    public func prepare() async throws(DeviceError) -> PreparedVolume {
        // A missing device is found before anything is created.
        guard let identity = try FileIdentity.of(device) else { throw .deviceMissing(device) }
        try SystemCall.makeFolders(mountPoint, mode: 0o755)
        try DeviceUsage.refuseIfMountPoint(mountPoint)
        switch identity.kind {
        case .block:
            return try await prepare(blockDevice: device, label: device, loop: nil)
        case .regular:
            let loop = try await LoopAttachment.attach(image: device, logger: logger)
            do throws(DeviceError) {
                return try await prepare(blockDevice: loop.device, label: "\(device) (attached as \(loop.device))", loop: loop)
            } catch {
                await undo("detach loop device") { () async throws(DeviceError) in try await loop.detach(logger: logger) }
                throw error
            }
        case .other:
            throw .unsupportedDeviceKind(device)
        }
    }

    /// Unmounts the volume and detaches the loop device share-manager attached.
    public static func release(_ prepared: PreparedVolume, logger: Logger) async throws(DeviceError) {
        let runner = ToolRunner(logger: logger)
        if try MountTable.current().isMountPoint(prepared.mountPoint) {
            try await Mounter(runner: runner).unmount(prepared.mountPoint)
        } else {
            logger.warning("volume was not mounted at release", metadata: ["mountPoint": "\(prepared.mountPoint)"])
        }
        if let loop = prepared.attachedLoop {
            try runner.check("losetup", ["-d", loop])
            logger.info("detached loop device", metadata: ["device": "\(loop)"])
        }
    }

    /// Cleanup after a failure: its own failure is logged, since the first error is the one to report.
    func undo(_ what: String, _ step: () async throws(DeviceError) -> Void) async {
        do throws(DeviceError) {
            try await step()
        } catch {
            logger.error("could not undo after a failure", metadata: ["step": "\(what)", "error": "\(error)"])
        }
    }
}
