/// Where a run is, as the probes and metrics see it.
public enum Phase: String, Sendable, Codable {
    case preparingDevice = "preparing device"
    case startingGanesha = "starting Ganesha"
    case serving
    case restartingGanesha = "restarting Ganesha"
    case stopping
}

/// The write probe's verdict on the served filesystem. Full is not a liveness failure
/// (a restart frees nothing); read-only after an error is.
public enum FilesystemCondition: Sendable, Equatable {
    case healthy
    /// `summary` is one line for the operator; `resources` what ran out ("blocks", "inodes").
    case full(summary: String, resources: [String])
    case readOnly(reason: String)
}

public struct HealthFacts: Sendable, Equatable {
    /// Ganesha beats about once a second while healthy: older than this, it is hung or gone
    /// (liveness fails, and `MetricsSample.ganeshaUp` is false).
    public static let heartbeatLimit: Duration = .seconds(10)

    public var phase: Phase
    public var ganeshaRunning: Bool
    /// Since Ganesha's last D-Bus heartbeat (or since watching began); nil before Ganesha.
    public var heartbeatAge: Duration?
    /// How long the running write probe has not returned, once that passed its limit.
    public var stuckWriteProbe: Duration?
    public var filesystem: FilesystemCondition

    public init(phase: Phase, ganeshaRunning: Bool, heartbeatAge: Duration?, stuckWriteProbe: Duration?,
                filesystem: FilesystemCondition) {
        self.phase = phase
        self.ganeshaRunning = ganeshaRunning
        self.heartbeatAge = heartbeatAge
        self.stuckWriteProbe = stuckWriteProbe
        self.filesystem = filesystem
    }
}

extension HealthFacts {
    /// Why liveness fails, nil while live: the one rule behind `/healthz` and the systemd
    /// watchdog. Start-up and restart steps are progress, not a hang (a kill then would
    /// only make the outage longer); a full volume is live (a restart frees nothing).
    public var failure: String? {
        switch phase {
        case .preparingDevice, .startingGanesha, .restartingGanesha:
            return nil
        case .stopping:
            return "stopping"
        case .serving:
            guard ganeshaRunning else { return "Ganesha is not running" }
            if let stuck = stuckWriteProbe { return "filesystem write probe has not returned for \(stuck.components.seconds) s" }
            if case .readOnly(let reason) = filesystem { return "filesystem not writable: \(reason)" }
            // Ganesha beats only while healthy, and a hung or stopped Ganesha stops beating:
            // cheaper and more telling than a D-Bus call that would itself hang.
            if let age = heartbeatAge, age > Self.heartbeatLimit { return "no Ganesha heartbeat for \(age.components.seconds) s" }
            return nil
        }
    }
}

/// What Ganesha said of our export when asked.
public enum ExportCheck: Sendable, Equatable {
    case active
    case inactive
    /// Not asked (not serving, offline) or no answer; the text says which, for the probe's body.
    case unknown(String)
}

public struct ReadinessFacts: Sendable, Equatable {
    public var phase: Phase
    /// Taken offline over the control API.
    public var exportOffline: Bool
    /// Where Ganesha listens for NFS, once known.
    public var nfsPort: UInt16?
    public var export: ExportCheck
    /// The NFS port answered an RPC NULL call; false when not asked.
    public var nfsAnswers: Bool
    public var filesystem: FilesystemCondition

    public init(phase: Phase, exportOffline: Bool, nfsPort: UInt16?, export: ExportCheck, nfsAnswers: Bool,
                filesystem: FilesystemCondition) {
        self.phase = phase
        self.exportOffline = exportOffline
        self.nfsPort = nfsPort
        self.export = export
        self.nfsAnswers = nfsAnswers
        self.filesystem = filesystem
    }
}
