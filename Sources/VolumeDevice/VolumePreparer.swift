import FoundationEssentials
import Glibc
import Logging

/// Turns a device into a mounted share-manager filesystem: format only when blank (or when an
/// earlier format of ours was cut short), check, mount; and undoes it on release. Everything
/// it refuses, it refuses before writing a byte.
public struct VolumePreparer: Sendable {
    public let volume: String
    /// A block device, or a regular file that is attached to a loop device first.
    public let device: String
    public let mountPoint: String
    /// The filesystem to format a blank device with; an existing one must match it.
    public let fsType: FilesystemType
    /// Extra mkfs arguments, checked by `validateMkfsOptions`.
    public let mkfsOptions: [String]
    /// Extra mount options, checked by `validateMountOptions`.
    public let mountOptions: [String]
    /// Where Ganesha's client records go for an adopted filesystem (one without marker, which
    /// is exported at its root). Without it such a filesystem is refused.
    public let recoveryDir: String?
    /// A read-only share: mounted `ro`, and nothing is written to the device (no format,
    /// repair, grow or layout).
    public let readOnly: Bool
    let logger: Logger
    var runner: ToolRunner { ToolRunner(logger: logger) }

    public init(
        volume: String, device: String, mountPoint: String, fsType: FilesystemType, logger: Logger,
        mkfsOptions: [String] = [], mountOptions: [String] = [], recoveryDir: String? = nil, readOnly: Bool = false
    ) {
        self.volume = volume
        self.device = device
        self.mountPoint = mountPoint
        self.fsType = fsType
        self.mkfsOptions = mkfsOptions
        self.mountOptions = mountOptions
        self.recoveryDir = recoveryDir
        self.readOnly = readOnly
        var logger = logger
        logger[metadataKey: "volume"] = "\(volume)"
        self.logger = logger
    }

    /// Attaches (for an image file), probes, formats when blank, checks and mounts.
    /// Blocks while the tools run; call it off the cooperative pool.
    /// On failure, whatever it attached or mounted has been undone.
    public func prepare() async throws(DeviceError) -> PreparedVolume {
        // Wrong options and a missing device are found before anything is created.
        try Self.validateMkfsOptions(mkfsOptions, for: fsType)
        try Self.validateMountOptions(mountOptions, for: fsType, readOnly: readOnly)
        try validateRecoveryDir()
        guard let identity = try FileIdentity.of(device) else { throw .deviceMissing(device) }
        guard identity.kind != .other else { throw .unsupportedDeviceKind(device) }
        // The rules pass over a folder that is a mount point now: a leftover mount of this
        // volume is released first, and the folder beneath is judged after it.
        try refuseUnusableMountPoint()
        try await releaseLeftoverMount(of: identity)
        try refuseUnusableMountPoint()
        try SystemCall.makeFolders(mountPoint, mode: 0o755)
        try DeviceUsage.refuseIfMountPoint(mountPoint)
        if identity.kind == .block {
            let claim = try DeviceUsage.claim(device)
            defer { claim.release() }
            return try await holdingRoot(try await prepare(blockDevice: device, label: device, loop: nil))
        }
        let loop = try await LoopAttachment.attach(image: device, logger: logger)
        do throws(DeviceError) {
            let claim = try DeviceUsage.claim(loop.device, autoclear: true)
            defer { claim.release() }
            return try await holdingRoot(
                try await prepare(blockDevice: loop.device, label: "\(device) (attached as \(loop.device))", loop: loop)
            )
        } catch {
            // The claim's close has detached it already, unless another process holds it open.
            await undo("detach loop device") { () async throws(DeviceError) in try loop.detachUnlessCleared(logger: logger) }
            throw error
        }
    }

    /// Takes the lock on the mounted root that tells the next start this instance still runs
    /// (see `releaseLeftoverMount`); taken while the device claim is still held.
    private func holdingRoot(_ prepared: PreparedVolume) async throws(DeviceError) -> PreparedVolume {
        var prepared = prepared
        do throws(DeviceError) {
            switch try ExclusiveLock.take(mountPoint, flags: O_DIRECTORY) {
            case .taken(let lock): prepared.rootLock = lock
            case .held(let holder): throw .volumeInUse(mountPoint: mountPoint, holder: holder)
            }
        } catch {
            await undo("unmount") { () async throws(DeviceError) in try await Mounter(runner: runner).unmount(mountPoint) }
            throw error
        }
        return prepared
    }

    private func refuseUnusableMountPoint() throws(DeviceError) {
        if let reason = try MountPointRules.problem(with: mountPoint) { throw .mountPointUnusable(path: mountPoint, reason: reason) }
    }

    /// A recovery dir below the mount point would be hidden by the mount, or exported to clients.
    private func validateRecoveryDir() throws(DeviceError) {
        guard let recoveryDir else { return }
        guard recoveryDir.hasPrefix("/") else { throw .recoveryDirUnusable(path: recoveryDir, reason: "it is not an absolute path") }
        let dir = URL(fileURLWithPath: recoveryDir).standardized.path
        let mount = URL(fileURLWithPath: mountPoint).standardized.path
        if dir == mount || dir.hasPrefix(mount + "/") {
            throw .recoveryDirUnusable(path: recoveryDir, reason: "it lies below the mount point \(mountPoint), hidden by the mount or visible to NFS clients")
        }
    }

    /// Unmounts the volume and detaches the loop device share-manager attached.
    public static func release(_ prepared: PreparedVolume, logger: Logger) async throws(DeviceError) {
        let runner = ToolRunner(logger: logger)
        // An open descriptor in the filesystem would keep it busy.
        prepared.rootLock?.release()
        if try MountTable.current().isMountPoint(prepared.mountPoint) {
            try await Mounter(runner: runner).unmount(prepared.mountPoint)
        } else {
            logger.warning("volume was not mounted at release", metadata: ["mountPoint": "\(prepared.mountPoint)"])
        }
        if let loop = prepared.loop { try loop.detachUnlessCleared(logger: logger) }
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
