import GaneshaConfig
import VolumeDevice

/// The options after validation: every value here may reach a config file or a command line.
public struct ResolvedOptions: Sendable {
    public enum LogFormat: String, Sendable { case text, json }

    public var device: String?
    public var mountPoint: SafePath
    public var stateDir: SafePath
    public var httpAddress: NetworkAddress
    public var httpPort: Int
    public var fsType: FilesystemType
    public var logFormat: LogFormat
    public var templatesDir: String?
    public var ganesha: GaneshaSettings
    /// Said once at start: legal, but probably not what the operator meant.
    public var warnings: [String]

    public var volume: VolumeName { ganesha.volume }
}

extension ShareManagerOptions {
    /// Checks every flag; the first bad one is reported with its name.
    public func resolve(requireDevice: Bool) throws(ValidationError) -> ResolvedOptions {
        guard let rawVolume = volume else {
            throw ValidationError(flag: "volume", reason: "is required (or set SHARE_MANAGER_VOLUME)")
        }
        let name = try VolumeName(validating: rawVolume)
        var checkedDevice: String?
        if let device {
            checkedDevice = try SafePath(validating: device, flag: "device").value
        } else if requireDevice {
            throw ValidationError(flag: "device", reason: "is required (or set SHARE_MANAGER_DEVICE)")
        }
        let mount = try SafePath(validating: mountPoint ?? "/export/\(name)", flag: "mount-point")
        guard mount.value != "/" else {
            throw ValidationError(flag: "mount-point", reason: "must not be /")
        }
        // The private bus socket lives here, and a unix socket path has at most 107 bytes.
        let state = try SafePath(validating: stateDir ?? "/var/run/share-manager/\(name)", flag: "state-dir", maxLength: 88)
        guard state.value != "/" else {
            throw ValidationError(flag: "state-dir", reason: "must not be /")
        }
        let grace = try RangeCheck.seconds(gracePeriod, in: 0...270, flag: "grace-period")
        let lease = try RangeCheck.seconds(leaseLifetime, in: 1...180, flag: "lease-lifetime")
        var warnings: [String] = []
        if grace > 0 && grace < lease {
            warnings.append("--grace-period \(grace) is shorter than --lease-lifetime \(lease): clients may not get the chance to reclaim before grace ends")
        }
        guard let fs = FilesystemType(rawValue: fsType) else {
            throw ValidationError(flag: "fs-type", reason: "'\(fsType)' is not supported; use ext4 or xfs")
        }
        guard let format = ResolvedOptions.LogFormat(rawValue: logFormat) else {
            throw ValidationError(flag: "log-format", reason: "'\(logFormat)' is not supported; use text or json")
        }
        let settings = GaneshaSettings(
            volume: name,
            nfsAddress: try NetworkAddress(validating: nfsAddress, flag: "nfs-address"),
            nfsPort: try RangeCheck.port(nfsPort, flag: "nfs-port"),
            gracePeriod: grace,
            leaseLifetime: lease,
            exportPath: try SafePath(validating: mount.appending("data"), flag: "mount-point"),
            recoveryRoot: try SafePath(validating: mount.appending(".share-manager/recovery"), flag: "mount-point")
        )
        return ResolvedOptions(
            device: checkedDevice,
            mountPoint: mount,
            stateDir: state,
            httpAddress: try NetworkAddress(validating: httpAddress, flag: "http-address"),
            httpPort: Int(try RangeCheck.port(httpPort, flag: "http-port")),
            fsType: fs,
            logFormat: format,
            templatesDir: try templatesDir.map { dir throws(ValidationError) in try SafePath(validating: dir, flag: "templates-dir").value },
            ganesha: settings,
            warnings: warnings
        )
    }
}
