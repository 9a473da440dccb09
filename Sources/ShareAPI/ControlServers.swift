import HTTPServing
import Logging
import SupervisorInterface

/// The control API's listeners: the unix socket always, TCP when configured (with its token).
public enum ControlServers {
    /// Where the TCP listener binds and the bearer token it requires.
    public typealias TCP = (address: String, port: Int, token: [UInt8])

    /// Binds both listeners; the socket's folder must exist (owner-only).
    public static func bind(
        socket: String, tcp: TCP?, supervisor: any ShareSupervising, logger: Logger
    ) async throws -> [HTTPServer] {
        var servers = [
            try await HTTPServer.bind(unixSocket: socket, logger: logger, handler: ControlAPI(supervisor: supervisor, token: nil, logger: logger).handle)
        ]
        logger.info("control API on unix socket \(socket) (mode 0600)")
        if let tcp {
            let api = ControlAPI(supervisor: supervisor, token: tcp.token, logger: logger)
            servers.append(try await HTTPServer.bind(host: tcp.address, port: tcp.port, logger: logger, handler: api.handle))
            logger.info("control API on http://\(tcp.address):\(tcp.port) (bearer token required)")
        }
        return servers
    }
}
