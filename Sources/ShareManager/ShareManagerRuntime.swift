import FoundationEssentials
import GaneshaConfig
import Glibc
import HTTPServing
import LinuxSupport
import Logging
import RunSettings
import ShareAPI
import ShareLogging

/// One run of share-manager for one volume: serve HTTP, prepare the device, start the bus
/// and Ganesha, add the export, serve until SIGTERM or until Ganesha dies, then take it all
/// down in reverse order. Returns the process exit code.
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

    enum Event: Sendable {
        case signal(Int32)
        /// `pid` tells an exit of the current Ganesha from a late report of an earlier one;
        /// nil for a start that failed before there was a process.
        case ganeshaExited(pid: Int32?, how: String)
        /// The private D-Bus daemon we started ended.
        case busExited(pid: Int32, how: String)
    }

    public func run() async -> Int32 {
        options.warnings.forEach { logger.warning("\($0)") }
        let state = RuntimeState(logger: logger)
        let metrics = ShareMetrics(volume: options.volume.value, version: ShareManagerCommand.version)
        let supervisor = RuntimeSupervisor(options: options, state: state, logger: logger)
        let stop = StopRequest()
        let (events, eventSink) = AsyncStream.makeStream(of: Event.self)
        let signals = TerminationSignals.stream()

        let server: HTTPServer
        do {
            let probes = Probes(supervisor: supervisor, metrics: metrics)
            server = try await HTTPServer.bind(
                host: options.httpAddress.value, port: options.httpPort, logger: logger, handler: probes.handle
            )
        } catch {
            logger.error("cannot listen for HTTP on \(options.httpAddress):\(options.httpPort): \(error); choose another --http-port or --http-address")
            return 1
        }
        logger.info("serving /healthz, /readyz and /metrics on http://\(options.httpAddress):\(options.httpPort)")
        let controls: [HTTPServer]
        do {
            let socket = options.control.socket.value
            try FileManager.default.createDirectory(
                atPath: parentFolder(of: socket), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            controls = try await ControlServers.bind(
                socket: socket,
                tcp: options.control.tcp.map { ($0.address.value, $0.port, $0.token) },
                supervisor: supervisor, logger: logger)
        } catch {
            logger.error("cannot serve the control API: \(error); check --control-socket, --control-address and --control-port")
            return 1
        }

        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await server.serve() }
            for control in controls { group.addTask { await control.serve() } }
            group.addTask {
                for await sig in signals {
                    stop.request(sig)
                    eventSink.yield(.signal(sig))
                }
            }
            let lifecycle = Lifecycle(
                options: options, templates: templates, logger: logger, state: state, stop: stop
            )
            let code = await lifecycle.run(events: events, sink: eventSink)
            group.cancelAll()
            // A socket left behind would answer "connection refused", which reads like a hang.
            unlink(options.control.socket.value)
            return code
        }
    }
}
