import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server for probes, scrapes and the control API: small bodies,
/// keep-alive, and the bounds of `HTTPLimits` on every connection.
///
/// Bound first (so a port in use fails the start with a clear error), served until the
/// task that runs `serve()` is cancelled.
public struct HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let channel: NIOAsyncChannel<Connection, Never>
    private let handler: Handler
    private let logger: Logger
    private let limits: HTTPLimits
    private let open = ConnectionCount()

    /// The address the server actually listens on.
    public var localAddress: SocketAddress? { channel.channel.localAddress }

    public static func bind(
        host: String, port: Int, limits: HTTPLimits = HTTPLimits(), logger: Logger, handler: @escaping Handler
    ) async throws -> HTTPServer {
        let channel = try await bootstrap().bind(host: host, port: port) { configure($0, limits) }
        return HTTPServer(channel: channel, handler: handler, logger: logger, limits: limits)
    }

    /// Listens on a unix socket that only its owner may use (mode 0600): the control API's
    /// default, where file permissions are the authentication.
    public static func bind(
        unixSocket path: String, limits: HTTPLimits = HTTPLimits(), logger: Logger, handler: @escaping Handler
    ) async throws -> HTTPServer {
        // Created inaccessible, so no one can connect before the mode is final.
        let previous = umask(0o177)
        defer { umask(previous) }
        let channel = try await bootstrap().bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) {
            configure($0, limits)
        }
        chmod(path, 0o600)
        return HTTPServer(channel: channel, handler: handler, logger: logger, limits: limits)
    }

    private static func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }

    private static func configure(_ child: any Channel, _ limits: HTTPLimits) -> EventLoopFuture<Connection> {
        child.eventLoop.makeCompletedFuture {
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
            try child.pipeline.syncOperations.configureHTTPServerPipeline(
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits
            )
            try child.pipeline.syncOperations.addHandler(RequestDeadline(limit: limits.requestTimeout))
            return try Connection(wrappingChannelSynchronously: child)
        }
    }

    /// Serves connections until the calling task is cancelled, then closes the listener.
    public func serve() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await channel.executeThenClose { connections in
                        for try await connection in connections {
                            guard open.enter(limit: limits.maxConnections) else {
                                // Through executeThenClose: a connection dropped with its writer
                                // unfinished traps in NIO, and the 129th client would kill us.
                                group.addTask { try? await connection.executeThenClose { _, _ in } }
                                continue
                            }
                            group.addTask {
                                await handle(connection)
                                open.leave()
                            }
                        }
                    }
                } catch {
                    logger.debug("http listener closed: \(error)")
                }
                group.cancelAll()
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }

    private func handle(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var request: HTTPRequest?
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                        request = HTTPRequest(method: head.method, path: path, headers: head.headers)
                        request?.keepAlive = head.isKeepAlive
                        if let length = head.headers.first(name: "Content-Length").flatMap(Int.init),
                           length > limits.maxBodyBytes {
                            try await write(Self.tooLarge(limits), to: outbound, keepAlive: false, method: head.method)
                            return
                        }
                    case .body(var buffer):
                        guard request != nil else { continue }
                        if request!.body.count + buffer.readableBytes > limits.maxBodyBytes {
                            try await write(Self.tooLarge(limits), to: outbound, keepAlive: false, method: .POST)
                            return
                        }
                        request!.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    case .end:
                        guard let complete = request else { continue }
                        request = nil
                        let response = await handler(complete)
                        try await write(response, to: outbound, keepAlive: complete.keepAlive, method: complete.method)
                        if !complete.keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("http connection ended: \(error)")
        }
    }

    private static func tooLarge(_ limits: HTTPLimits) -> HTTPResponse {
        // JSON like every other refusal of the control API, which is who sends bodies.
        HTTPResponse(
            status: .payloadTooLarge, contentType: "application/json",
            body: "{\"error\": \"request body over \(limits.maxBodyBytes) bytes\"}\n"
        )
    }

    private func write(
        _ response: HTTPResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        keepAlive: Bool, method: HTTPMethod
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        for extra in response.headers { headers.add(name: extra.name, value: extra.value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        if method != .HEAD {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
        }
        try await outbound.write(.end(nil))
    }
}

/// Open connections, so that a flood is refused rather than served until memory runs out.
private final class ConnectionCount: Sendable {
    private let count = Atomic<Int>(0)

    func enter(limit: Int) -> Bool {
        if count.wrappingAdd(1, ordering: .relaxed).newValue > limit {
            count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func leave() { count.wrappingSubtract(1, ordering: .relaxed) }
}
