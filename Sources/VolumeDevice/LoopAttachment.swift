import Foundation
import Logging

/// A loop device share-manager attached to an image file, and detaches on release.
public struct LoopAttachment: Sendable, Equatable {
    /// The loop device, e.g. `/dev/loop3`.
    public let device: String
    /// The image file behind it, as given.
    public let image: String

    /// Attaches `image` to a free loop device, refusing when it is attached anywhere already:
    /// two loop devices on one image can both be mounted and corrupt it.
    public static func attach(image: String, logger: Logger) async throws(DeviceError) -> LoopAttachment {
        let runner = ToolRunner(logger: logger)
        let before = try attachedDevices(of: image, runner: runner)
        guard before.isEmpty else { throw .imageAlreadyAttached(image: image, loopDevices: before) }
        let device = try runner.check("losetup", ["--find", "--show", image]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let attachment = LoopAttachment(device: device, image: image)
        // Someone may have attached it between our look and losetup.
        let after = try attachedDevices(of: image, runner: runner)
        guard after == [device] else {
            try? await attachment.detach(logger: logger)
            throw .imageAlreadyAttached(image: image, loopDevices: after.filter { $0 != device })
        }
        logger.info("attached image to loop device", metadata: ["image": "\(image)", "device": "\(device)"])
        return attachment
    }

    /// Detaches the loop device.
    public func detach(logger: Logger) async throws(DeviceError) {
        try ToolRunner(logger: logger).check("losetup", ["-d", device])
        logger.info("detached loop device", metadata: ["device": "\(device)", "image": "\(image)"])
    }

    /// Every loop device backed by the file at `image`, found two ways: losetup's own answer
    /// (which matches by inode) and sysfs (which still answers when losetup cannot ask).
    public static func attachedDevices(of image: String, logger: Logger) throws(DeviceError) -> [String] {
        try attachedDevices(of: image, runner: ToolRunner(logger: logger))
    }

    static func attachedDevices(of image: String, runner: ToolRunner) throws(DeviceError) -> [String] {
        guard let target = try FileIdentity.of(image) else { throw .deviceMissing(image) }
        var found = Set<String>()
        let listing = try runner.check("losetup", ["-j", image]).stdout
        for line in listing.split(whereSeparator: \.isNewline) {
            if let name = line.split(separator: ":").first { found.insert(String(name)) }
        }
        for loop in SystemCall.folderEntries("/sys/block") ?? [] where loop.hasPrefix("loop") {
            guard let backing = try? SystemCall.readFile("/sys/block/\(loop)/loop/backing_file") else { continue }
            let path = backing.trimmingCharacters(in: .newlines)
            if let identity = try? FileIdentity.of(path), identity.device == target.device, identity.inode == target.inode {
                found.insert("/dev/" + loop)
            }
        }
        return found.sorted()
    }
}
