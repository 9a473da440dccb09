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
    public var mkfsOptions: [String]
    public var mountOptions: [String]
    /// Recovery records of an adopted filesystem (or of a read-only share) live here.
    public var recoveryDir: SafePath?
    /// Seconds between scheduled fstrim runs; 0 means never.
    public var trimInterval: Int
    /// How long an orderly stop may take before it is escalated (see `Lifecycle.tearDown`).
    public var shutdownTimeout: Duration
    /// The ID-mapping domain to write into a per-volume idmapd.conf; nil keeps the host's.
    public var idmapDomain: String?
    public var readOnly: Bool { ganesha.accessType == .readOnly }
    public var logFormat: LogFormat
    public var templatesDir: String?
    public var ganesha: GaneshaSettings
    public var control: ControlSettings
    /// Said once at start: legal, but probably not what the operator meant.
    public var warnings: [String]
    /// Hold clients' connections open while Ganesha restarts in place (`ConnectionKeeper`).
    public var keepConnections = true

    public var volume: VolumeName { ganesha.volume }

    public init(device: String? = nil, mountPoint: SafePath, stateDir: SafePath, httpAddress: NetworkAddress, httpPort: Int, fsType: FilesystemType, mkfsOptions: [String], mountOptions: [String], recoveryDir: SafePath? = nil, trimInterval: Int, shutdownTimeout: Duration, idmapDomain: String? = nil, logFormat: LogFormat, templatesDir: String? = nil, ganesha: GaneshaSettings, control: ControlSettings, warnings: [String]) {
        self.device = device
        self.mountPoint = mountPoint
        self.stateDir = stateDir
        self.httpAddress = httpAddress
        self.httpPort = httpPort
        self.fsType = fsType
        self.mkfsOptions = mkfsOptions
        self.mountOptions = mountOptions
        self.recoveryDir = recoveryDir
        self.trimInterval = trimInterval
        self.shutdownTimeout = shutdownTimeout
        self.idmapDomain = idmapDomain
        self.logFormat = logFormat
        self.templatesDir = templatesDir
        self.ganesha = ganesha
        self.control = control
        self.warnings = warnings
    }
}

extension ResolvedOptions {
    /// Where our own probes reach Ganesha: a wildcard bind is reached on loopback.
    public var probeHost: String {
        switch ganesha.nfsAddress.value {
        case "0.0.0.0": "127.0.0.1"
        case "::": "::1"
        default: ganesha.nfsAddress.value
        }
    }
}
