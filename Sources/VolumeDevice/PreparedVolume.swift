/// A device that is mounted (read-write unless the share is read-only), ready to export: with
/// the share-manager layout, or an adopted filesystem exported at its root.
public struct PreparedVolume: Sendable, Equatable {
    /// The block device that is mounted (the loop device when an image file was given).
    public let devicePath: String
    public let mountPoint: String
    public let filesystem: FilesystemType
    /// True when this start formatted a blank device.
    public let formatted: Bool
    /// `<mountPoint>/data`: the folder Ganesha exports; the mount point itself when adopted.
    public let exportPath: String
    /// `<mountPoint>/.share-manager/recovery`: Ganesha's `RecoveryRoot`; the recovery dir
    /// given to the preparer when adopted.
    public let recoveryRoot: String
    /// The loop device share-manager attached, to detach on release; nil for a block device.
    public let loop: LoopAttachment?
    public var attachedLoop: String? { loop?.device }
    /// True for a filesystem made elsewhere (no marker), which share-manager mounts and
    /// exports at its root without writing anything on it.
    public let adopted: Bool
    /// Held on the mounted root until the release: what tells the next start that this
    /// instance still runs (see `VolumePreparer.releaseLeftoverMount`).
    public var rootLock: ExclusiveLock?

    public init(
        devicePath: String, mountPoint: String, filesystem: FilesystemType, formatted: Bool,
        exportPath: String, recoveryRoot: String, loop: LoopAttachment?, adopted: Bool = false
    ) {
        self.devicePath = devicePath
        self.mountPoint = mountPoint
        self.filesystem = filesystem
        self.formatted = formatted
        self.exportPath = exportPath
        self.recoveryRoot = recoveryRoot
        self.loop = loop
        self.adopted = adopted
    }
}
