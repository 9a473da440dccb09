import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// What an endpoint answers.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: String

    public init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// A small HTTP/1.1 server for probes and scrapes: GET only, small bodies, keep-alive.
///
/// Bound first (so a port in use fails the start with a clear error), served until the
/// task that runs `serve()` is cancelled.
public struct HTTPServer: Sendable {
    public typealias Handler = @Sendable (_ method: HTTPMethod, _ path: String) async -> HTTPResponse

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let handler: Handler
    private let logger: Logger

    /// The address the server actually listens on.
    public var localAddress: SocketAddress? { channel.channel.localAddress }

    public static func bind(host: String, port: Int, logger: Logger, handler: @escaping Handler) async throws -> HTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: child
                    )
                }
            }
        return HTTPServer(channel: channel, handler: handler, logger: logger)
    }

    /// Serves connections until the calling task is cancelled, then closes the listener.
    public func serve() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await channel.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await handle(connection) }
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

    private func handle(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var request: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        request = head
                    case .body:
                        continue
                    case .end:
                        guard let head = request else { continue }
                        request = nil
                        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                        let response = await handler(head.method, path)
                        try await write(response, to: outbound, keepAlive: head.isKeepAlive, method: head.method)
                        if !head.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("http connection ended: \(error)")
        }
    }

    private func write(
        _ response: HTTPResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        keepAlive: Bool, method: HTTPMethod
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        if method != .HEAD {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
        }
        try await outbound.write(.end(nil))
    }
}
