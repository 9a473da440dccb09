import RunSettings
import FoundationEssentials
import Glibc
import LinuxSupport
import HTTPServing
import Logging

/// The control API's listeners: the unix socket always, TCP when configured (with its token).
enum ControlServers {
    static func bind(options: ResolvedOptions, state: RuntimeState, logger: Logger) async throws -> [HTTPServer] {
        let actions = ControlActions(options: options, state: state, logger: logger)
        let socket = options.control.socket.value
        let folder = parentFolder(of: socket)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var servers = [
            try await HTTPServer.bind(unixSocket: socket, logger: logger, handler: ControlAPI(actions: actions, token: nil, logger: logger).handle)
        ]
        logger.info("control API on unix socket \(socket) (mode 0600)")
        if let tcp = options.control.tcp {
            let api = ControlAPI(actions: actions, token: tcp.token, logger: logger)
            servers.append(try await HTTPServer.bind(host: tcp.address.value, port: tcp.port, logger: logger, handler: api.handle))
            logger.info("control API on http://\(tcp.address):\(tcp.port) (bearer token required)")
        }
        return servers
    }
}
