import HTTPServing
import Logging
import NIOCore

extension HTTPLimits {
    /// The defaults, but a small claim on the process's open files: every listener claims
    /// `maxOpenConnections` from one budget, and dozens of live tests run at once.
    public static var forTests: HTTPLimits {
        var limits = HTTPLimits()
        limits.maxConnections = 16
        limits.maxOpenConnections = 32
        return limits
    }
}

/// Runs `body` against a real `HTTPServer` bound on 127.0.0.1 port 0 (or on a unix socket),
/// served by a child task that is cancelled, and the listener closed, when `body` returns.
public func withLiveServer<T: Sendable>(
    unixSocket: String? = nil, limits: HTTPLimits = .forTests, handler: @escaping HTTPServer.Handler,
    _ body: (LiveHTTP.Target) async throws -> T
) async throws -> T {
    let logger = Logger(label: "live-test")
    let server: HTTPServer
    let target: LiveHTTP.Target
    if let unixSocket {
        server = try await HTTPServer.bind(unixSocket: unixSocket, limits: limits, logger: logger, handler: handler)
        target = .unixSocket(unixSocket)
    } else {
        server = try await HTTPServer.bind(host: "127.0.0.1", port: 0, limits: limits, logger: logger, handler: handler)
        guard let port = server.localAddress?.port, port != 0 else { throw LiveHTTP.Malformed(description: "no bound port") }
        target = .tcp(host: "127.0.0.1", port: port)
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await server.serve() }
        defer { group.cancelAll() }
        return try await body(target)
    }
}
