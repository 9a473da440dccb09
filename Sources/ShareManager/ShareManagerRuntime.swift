import FoundationEssentials
import GaneshaConfig
import Glibc
import HTTPServing
import LinuxSupport
import Logging
import RunSettings
import ServiceLifecycle
import ShareAPI
import ShareCLI
import ShareLogging
import Supervisor
import VolumeDevice

/// The composition root of one run: the supervisor, the HTTP listeners that reach it only
/// through `ShareSupervising`, and the ServiceGroup that starts them in order (probes first,
/// so liveness answers during a long device preparation; the control API last) and stops
/// them in reverse on SIGTERM/SIGINT. Returns the process exit code.
public struct ShareManagerRuntime: Sendable {
    let options: ResolvedOptions
    let templates: TemplateSet
    let logger: Logger

    public init(options: ResolvedOptions, templates: TemplateSet) {
        self.options = options
        self.templates = templates
        var logger = Logger(label: "share-manager") { label in
            ShareLogHandler(label: label, json: options.logFormat == .json)
        }
        logger[metadataKey: "volume"] = "\(options.volume)"
        self.logger = logger
    }

    public func run() async -> Int32 {
        (options.warnings + EnvironmentFallback.misspellings(in: ProcessInfo.processInfo.environment)).forEach { logger.warning("\($0)") }
        // SIGTERM and SIGINT reach us only through the group's signal sources (a signal during
        // a start-up step is acted on after it); Ganesha must never see SIGHUP from us, and a
        // hang-up or a closed pipe must not kill us mid-shutdown.
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { signal(sig, SIG_IGN) }
        let supervisor = Supervisor(options: options, templates: templates, version: ShareManagerCommand.version, logger: logger)
        let metrics = ShareMetrics(volume: options.volume.value, version: ShareManagerCommand.version)
        let probes: HTTPServer
        do {
            probes = try await HTTPServer.bind(
                host: options.httpAddress.value, port: options.httpPort, logger: logger,
                handler: Probes(supervisor: supervisor, metrics: metrics).handle)
        } catch {
            let stop = (error as? ListenError)?.inUse == true ? "stop what listens there (ss -ltnp 'sport = :\(options.httpPort)') or " : ""
            logger.error("cannot serve HTTP probes: \(error); \(stop)choose another --http-port or --http-address")
            return 1
        }
        let httpPort = probes.localAddress?.port ?? options.httpPort
        logger.info("serving /healthz, /readyz and /metrics on http://\(options.httpAddress):\(httpPort)")
        do {
            try AtomicFile.write("\(httpPort)\n", to: StateLayout(stateDir: options.stateDir).httpPortFile)
        } catch {
            logger.warning("cannot publish the HTTP port in the state dir: \(error); only the log line above names it")
        }
        let controls: [HTTPServer]
        do {
            let socket = options.control.socket.value
            try FileManager.default.createDirectory(
                atPath: parentFolder(of: socket), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            controls = try await ControlServers.bind(
                socket: socket, tcp: options.control.tcp.map { (address: $0.address.value, port: $0.port, token: $0.token) },
                supervisor: supervisor, logger: logger)
        } catch {
            logger.error("cannot serve the control API: \(error); check --control-socket, --control-address and --control-port")
            return 1
        }

        let services: [ServiceGroupConfiguration.ServiceConfiguration] =
            [.init(service: HTTPService(server: probes), serviceName: "probes")]
            + [.init(service: SupervisorService(supervisor), successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "supervisor")]
            + controls.map { .init(service: HTTPService(server: $0), serviceName: "control API") }
        // The group hears the first SIGTERM/SIGINT; the supervisor hears a second one (the
        // group refuses a signal in both lists, and its own cancellation would leave the
        // volume mounted: ours kills Ganesha and unmounts lazily).
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownTimeout
        let group = ServiceGroup(configuration: configuration)
        await supervisor.onStopRequest { await group.triggerGracefulShutdown() }
        var code: Int32
        do {
            try await group.run()
            code = await supervisor.exitCode
        } catch {
            logger.error("\(error)")
            code = 1
        }
        // A socket left behind would answer "connection refused", which reads like a hang.
        unlink(options.control.socket.value)
        return code
    }
}

/// An HTTP listener as a service of the group: it serves until the group asks it to stop.
struct HTTPService: Service {
    let server: HTTPServer

    func run() async throws {
        await cancelWhenGracefulShutdown { await server.serve() }
    }
}
