import FoundationEssentials
import Glibc
import LinuxSupport
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
        let before = try attachedDevices(of: image)
        guard before.isEmpty else { throw .imageAlreadyAttached(image: image, loopDevices: before) }
        let device = try runner.check("losetup", ["--find", "--show", image]).stdout
            .trimmed
        let attachment = LoopAttachment(device: device, image: image)
        // Someone may have attached it between our look and losetup.
        let after = try attachedDevices(of: image)
        guard after == [device] else {
            do throws(DeviceError) { try attachment.detach(logger: logger) } catch {
                // The refusal below is what the operator must act on; this is why a loop
                // device of ours may be left behind with it.
                logger.warning("could not detach the loop device just attached", metadata: ["device": "\(device)", "error": "\(error)"])
            }
            throw .imageAlreadyAttached(image: image, loopDevices: after.filter { $0 != device })
        }
        logger.info("attached image to loop device", metadata: ["image": "\(image)", "device": "\(device)"])
        return attachment
    }

    /// Detaches the loop device, unless it no longer holds the image (then it is someone else's).
    public func detach(logger: Logger) throws(DeviceError) {
        try Self.detach(device, ifBacking: image, logger: logger)
    }

    /// As `detach`, but quiet when the loop device is unbound already: ours carry autoclear,
    /// so the kernel detaches them when the unmount (or the claim's close) lets go.
    public func detachUnlessCleared(logger: Logger) throws(DeviceError) {
        guard LoopIoctl.backing(of: device) != nil else {
            logger.info("loop device detached by the kernel (autoclear)", metadata: ["device": "\(device)", "image": "\(image)"])
            return
        }
        try detach(logger: logger)
    }

    /// Detaches `device` only while `image` is behind it; see `LoopIoctl.detach`. A missing
    /// image means nothing can be behind it.
    @discardableResult
    public static func detach(_ device: String, ifBacking image: String, logger: Logger) throws(DeviceError) -> LoopDetach {
        guard let identity = try FileIdentity.of(image) else { return .notBacking }
        var outcome = try LoopIoctl.detach(device, ifBacking: identity)
        if outcome == .detached, !released(device, from: identity) { outcome = .deferred }
        switch outcome {
        case .detached: logger.info("detached loop device", metadata: ["device": "\(device)", "image": "\(image)"])
        case .deferred:
            logger.warning("loop device still holds the image after the detach: another process has it open, and the kernel detaches it when that one closes it", metadata: ["device": "\(device)", "image": "\(image)"])
        case .notBacking: logger.warning("loop device no longer holds the image; left alone", metadata: ["device": "\(device)", "image": "\(image)"])
        }
        return outcome
    }

    /// Waits (up to 2 s) until `device` no longer holds the image. While anyone else has the
    /// device open, LOOP_CLR_FD only marks it to be cleared at their last close: another
    /// share-manager on the node looking for its own image's loop device opens every bound
    /// one for a moment, and a child forked just then holds our descriptor until its exec.
    /// Without the wait, a restart right after a release could find the image still
    /// attached and refuse it.
    private static func released(_ device: String, from image: FileIdentity) -> Bool {
        let backingFile = "/sys/block/\(device.split(separator: "/").last ?? "")/loop/backing_file"
        let deadline = ContinuousClock.now + .seconds(2)
        while true {
            guard let backing = try? SystemCall.readFile(backingFile),
                  let bound = try? FileIdentity.of(backing.trimmingLineBreaks),
                  bound.device == image.device, bound.inode == image.inode
            else { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
    }

    /// Every loop device backed by the file at `image`, found two ways: the kernel's own
    /// answer per loop device (which matches by inode, as `losetup -j` does) and sysfs's path
    /// (which still answers when a loop device's node is missing from /dev).
    public static func attachedDevices(of image: String) throws(DeviceError) -> [String] {
        guard let target = try FileIdentity.of(image) else { throw .deviceMissing(image) }
        var found = Set<String>()
        for loop in SystemCall.folderEntries("/sys/block") ?? [] where loop.hasPrefix("loop") {
            // Only bound loop devices have the folder; the others are not worth an open.
            guard let backing = try? SystemCall.readFile("/sys/block/\(loop)/loop/backing_file") else { continue }
            if let bound = LoopIoctl.backing(of: "/dev/" + loop), bound.device == target.device, bound.inode == target.inode {
                found.insert("/dev/" + loop)
                continue
            }
            let path = backing.trimmingLineBreaks
            if let identity = try? FileIdentity.of(path), identity.device == target.device, identity.inode == target.inode {
                found.insert("/dev/" + loop)
            }
        }
        return found.sorted()
    }
}
