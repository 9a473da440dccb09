import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server for probes, scrapes and the control API: small bodies,
/// keep-alive, and the bounds of `HTTPLimits` on every connection.
///
/// Bound first (so a port in use fails the start with a clear error), served until the
/// task that runs `serve()` is cancelled.
public struct HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let channel: NIOAsyncChannel<Connection, Never>
    let handler: Handler
    let logger: Logger
    let limits: HTTPLimits
    private let table: ConnectionTable
    /// The unix socket this server bound, removed when it stops (see `UnixListener`).
    private var socketFile: UnixListener.File?

    /// The address the server actually listens on.
    public var localAddress: SocketAddress? { channel.channel.localAddress }

    public static func bind(
        host: String, port: Int, limits: HTTPLimits = HTTPLimits(), logger: Logger, handler: @escaping Handler
    ) async throws -> HTTPServer {
        let table = connectionTable(limits, listener: "\(host):\(port)", logger: logger)
        let channel = try await releasing(table, limits) {
            do {
                return try await bootstrap().bind(host: host, port: port) { configure($0, limits, table) }
            } catch {
                throw ListenError(host: host, port: port, cause: error)
            }
        }
        return HTTPServer(channel: channel, handler: handler, logger: logger, limits: limits, table: table)
    }

    /// Listens on a unix socket that only its owner may use (mode 0600): the control API's
    /// default, where file permissions are the authentication.
    public static func bind(
        unixSocket path: String, limits: HTTPLimits = HTTPLimits(), logger: Logger, handler: @escaping Handler
    ) async throws -> HTTPServer {
        let table = connectionTable(limits, listener: path, logger: logger)
        let channel = try await releasing(table, limits) {
            let fd = try UnixListener.bind(path, backlog: backlog)
            let channel: NIOAsyncChannel<Connection, Never>
            do {
                channel = try await bootstrap().bind(fd) { configure($0, limits, table) }
            } catch {
                close(fd)
                throw error
            }
            UnixListener.restoreBacklog(fd, backlog)
            return channel
        }
        var server = HTTPServer(channel: channel, handler: handler, logger: logger, limits: limits, table: table)
        server.socketFile = UnixListener.File(path)
        return server
    }

    private static func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: backlog)
    }

    /// A crowd reconnecting at once must not overflow the accept queue: a dropped SYN is
    /// retried only after a second, and a probe behind it would miss its timeout.
    private static let backlog: Int32 = 1024

    /// The listener's share of open files, and the table that keeps it to that share.
    private static func connectionTable(_ limits: HTTPLimits, listener: String, logger: Logger) -> ConnectionTable {
        let grant = OpenFileBudget.claim(limits.maxOpenConnections, floor: limits.maxConnections)
        if let needed = grant.shortOf {
            logger.warning(
                "http listener \(listener): only \(grant.connections) connections fit in the open-files limit (\(grant.limit)); raise the container's RLIMIT_NOFILE (ulimit -n) to at least \(needed) so that probes are still answered under a connection flood"
            )
        }
        return ConnectionTable(bounds: .init(soft: limits.maxConnections, hard: grant.connections, crowdedWait: limits.crowdedWait))
    }

    private static func releasing<T>(
        _ table: ConnectionTable, _ limits: HTTPLimits, _ bind: () async throws -> T
    ) async throws -> T {
        do {
            return try await bind()
        } catch {
            OpenFileBudget.release(granted: table.bounds.hard, wanted: limits.maxOpenConnections)
            throw error
        }
    }

    private static func configure(_ child: any Channel, _ limits: HTTPLimits, _ table: ConnectionTable) -> EventLoopFuture<Connection> {
        child.eventLoop.makeCompletedFuture {
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
            try child.pipeline.syncOperations.configureHTTPServerPipeline(
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits
            )
            try child.pipeline.syncOperations.addHandler(RequestDeadline(limit: limits.requestTimeout, table: table))
            return try Connection(wrappingChannelSynchronously: child)
        }
    }

    /// Serves connections until the calling task is cancelled, then closes the listener.
    public func serve() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await channel.executeThenClose { connections in
                        // Every connection through executeThenClose, even one the table has
                        // closed already: one dropped with its writer unfinished traps in NIO.
                        for try await connection in connections {
                            group.addTask { await handle(connection) }
                        }
                    }
                } catch {
                    logger.debug("http listener closed: \(error)")
                }
                group.cancelAll()
            }
            OpenFileBudget.release(granted: table.bounds.hard, wanted: limits.maxOpenConnections)
            socketFile?.remove()
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }
}
