import GaneshaConfig

/// Files share-manager keeps in its state directory (run files only: nothing here must
/// survive a failover; the recovery records live on the volume).
public struct StateLayout: Sendable {
    public let stateDir: SafePath

    public init(stateDir: SafePath) { self.stateDir = stateDir }

    public var ganeshaConfig: String { stateDir.appending("ganesha.conf") }
    public var exportConfig: String { stateDir.appending("export.conf") }
    public var ganeshaPidFile: String { stateDir.appending("ganesha.pid") }
    public var busDirectory: String { stateDir.appending("bus") }
    public var busConfig: String { stateDir.appending("bus/bus.conf") }
    public var busSocket: String { stateDir.appending("bus/system_bus_socket") }
    public var busAddress: String { "unix:path=\(busSocket)" }
    /// The private bus daemon's pid, written by share-manager (the daemon runs with --nopidfile).
    public var busPidFile: String { stateDir.appending("dbus.pid") }
    /// Where Ganesha listens, for a cluster-level manager (see `EndpointFile`).
    public var endpointFile: String { stateDir.appending("endpoint.json") }
    /// The port the probes server listens on (the one `--http-port 0` got), for whoever
    /// scrapes or probes it without a fixed port.
    public var httpPortFile: String { stateDir.appending("http-port") }
}
