/// A device that is mounted read-write with the share-manager layout, ready to export.
public struct PreparedVolume: Sendable, Equatable {
    /// The block device that is mounted (the loop device when an image file was given).
    public let devicePath: String
    public let mountPoint: String
    public let filesystem: FilesystemType
    /// True when this start formatted a blank device.
    public let formatted: Bool
    /// `<mountPoint>/data`: the folder Ganesha exports.
    public let exportPath: String
    /// `<mountPoint>/.share-manager/recovery`: Ganesha's `RecoveryRoot`.
    public let recoveryRoot: String
    /// The loop device share-manager attached, to detach on release; nil for a block device.
    public let attachedLoop: String?

    public init(
        devicePath: String, mountPoint: String, filesystem: FilesystemType, formatted: Bool,
        exportPath: String, recoveryRoot: String, attachedLoop: String?
    ) {
        self.devicePath = devicePath
        self.mountPoint = mountPoint
        self.filesystem = filesystem
        self.formatted = formatted
        self.exportPath = exportPath
        self.recoveryRoot = recoveryRoot
        self.attachedLoop = attachedLoop
    }
}
