import ArgumentParser

/// The flags of `run` and `render`, as typed. Each is also read from
/// `SHARE_MANAGER_<FLAG_IN_CAPS>` (see `EnvironmentFallback`); the flag wins.
/// Values are checked in `resolve()`, never trusted as typed.
public struct ShareManagerOptions: ParsableArguments, Sendable {
    @Option(help: "Volume name (a DNS-1123 label); clients mount SERVER:/NAME.")
    public var volume: String?

    @Option(help: "Block device, or a regular image file to attach to a loop device.")
    public var device: String?

    @Option(help: "Where the volume's filesystem is mounted (default /export/NAME).")
    public var mountPoint: String?

    @Option(help: "Run files: rendered configs, pid files, private bus socket (default /var/run/share-manager/NAME).")
    public var stateDir: String?

    @Option(help: "Address Ganesha binds for NFS.")
    public var nfsAddress: String = "0.0.0.0"

    @Option(help: "TCP port Ganesha serves NFS on; 0 lets it pick a free one, published in <state-dir>/endpoint.json.")
    public var nfsPort: Int = 2049

    @Option(help: "Address of the /healthz, /readyz and /metrics server.")
    public var httpAddress: String = "0.0.0.0"

    @Option(help: "Port of the /healthz, /readyz and /metrics server; 0 takes a free one, published in <state-dir>/http-port.")
    public var httpPort: Int = 9500

    @Option(help: "NFSv4 grace period after a restart, in seconds (0-270; default 90, or 21 with --fast-failover).")
    public var gracePeriod: Int?

    @Option(help: "NFSv4 lease lifetime, in seconds (1-180; default 60, or 7 with --fast-failover).")
    public var leaseLifetime: Int?

    @Option(help: "true: lease 7 s and grace 21 s, so Linux clients open new files again within 7 s of a restart or failover; clients renew every 5 s, and one cut off for more than about 7 s loses its locks. --lease-lifetime and --grace-period, when given, win.")
    public var fastFailover: Bool = false

    @Option(help: "true: client connections stay open while Ganesha restarts in place, so Linux clients resume within a fraction of a second instead of 1 s; needs pidfd_getfd (kernel 5.6, allowed by the seccomp profile).")
    public var keepConnections: Bool = true

    @Option(help: "Filesystem made on a blank device: ext4 or xfs.")
    public var fsType: String = "ext4"

    @Option(help: "Extra mkfs arguments for a blank device, space-separated (checked against an allow-list).")
    public var mkfsOptions: String?

    @Option(help: "Extra mount options, comma-separated (checked against an allow-list; ext4 always gets errors=remount-ro).")
    public var mountOptions: String?

    @Option(help: "Where Ganesha keeps client recovery records for an adopted filesystem (one share-manager did not format).")
    public var recoveryDir: String?

    @Option(help: "Run fstrim on the mount every this many seconds: 0 = never, or 60-31536000 (a year).")
    public var trimInterval: Int = 0

    @Option(help: "Seconds an orderly stop may take (1-300); then, or at a second SIGTERM/SIGINT, Ganesha is killed and the volume lazily unmounted.")
    public var shutdownTimeout: Int = 10

    @Option(help: "RW, or RO for a deliberately read-only share (mounted ro, exported RO).")
    public var accessType: String = "RW"

    @Option(help: "Only these clients may reach the export: comma-separated CIDRs, IPv4/IPv6 addresses and host names (default: every client).")
    public var allowedClients: String?

    @Option(help: "Requests mapped to the anonymous uid/gid: none (root stays root), root or all.")
    public var squash: String = "none"

    @Option(help: "Uid a squashed request acts as, 0-4294967294 (default: Ganesha's, 4294967294).")
    public var anonymousUid: String?

    @Option(help: "Gid a squashed request acts as, 0-4294967294 (default: Ganesha's, 4294967294).")
    public var anonymousGid: String?

    @Option(help: "NFSv4 ID-mapping domain for this volume (default: the host's, from /etc/idmapd.conf or DNS).")
    public var idmapDomain: String?

    @Option(help: "true: owners go over the wire as numeric uid/gid strings, never names (no ID-mapping domain to match).")
    public var numericOwners: Bool = false

    @Option(help: "true: serve NFSv4.0 too (one 4.0 client holds every restart to the full grace period).")
    public var enableNfsv40: Bool = false

    @Option(help: "Log format: text or json.")
    public var logFormat: String = "text"

    @Option(help: "Folder holding the Ganesha templates (default: found next to the binary).")
    public var templatesDir: String?

    @Option(help: "Unix socket of the control API, mode 0600 (default <state-dir>/control.sock).")
    public var controlSocket: String?

    @Option(help: "Also serve the control API on this TCP port (0 = only the unix socket); needs --control-token-file.")
    public var controlPort: Int = 0

    @Option(help: "Address of the control API's TCP port.")
    public var controlAddress: String = "127.0.0.1"

    @Option(help: "File holding the bearer token the control API's TCP port requires.")
    public var controlTokenFile: String?

    public init() {}
}

/// Every flag of `ShareManagerOptions`, for the environment fallback. A test checks that
/// this list and the parsed flags agree, so a new flag cannot miss its variable.
public enum OptionNames {
    public static let all = [
        "volume", "device", "mount-point", "state-dir", "nfs-address", "nfs-port",
        "http-address", "http-port", "grace-period", "lease-lifetime", "fast-failover", "keep-connections", "fs-type",
        "mkfs-options", "mount-options", "recovery-dir", "trim-interval", "access-type",
        "allowed-clients", "squash", "anonymous-uid", "anonymous-gid",
        "idmap-domain", "numeric-owners", "enable-nfsv40",
        "log-format", "templates-dir",
        "shutdown-timeout",
        "control-socket", "control-port", "control-address", "control-token-file",
    ]

    /// `mount-point` → `SHARE_MANAGER_MOUNT_POINT`.
    public static func environmentVariable(for flag: String) -> String {
        "SHARE_MANAGER_" + String(flag.uppercased().map { $0 == "-" ? "_" : $0 })
    }
}
