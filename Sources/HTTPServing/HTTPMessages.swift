import NIOCore
import NIOHTTP1

/// One complete request, body included (bodies are small: JSON for the control API).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The path without the query string.
    public var path: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    var keepAlive = true

    public init(method: HTTPMethod, path: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// What an endpoint answers.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: String
    /// Added to the standard ones (Content-Type, Content-Length, Cache-Control).
    public var headers: [(name: String, value: String)]

    public init(
        status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: String,
        headers: [(name: String, value: String)] = []
    ) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }
}

/// Bounds on what one client may make the server hold or wait for. The servers run
/// privileged beside user data, so none of them may be tied up by a slow or greedy peer.
public struct HTTPLimits: Sendable {
    /// Request line plus headers.
    public var maxHeaderBytes = 8 * 1024
    public var maxBodyBytes = 64 * 1024
    /// From the connection's start (or the previous response) to the request's last byte:
    /// a slow-loris peer is cut off here, and an idle keep-alive connection is closed.
    public var requestTimeout: TimeAmount = .seconds(10)
    /// Beyond this many open connections, a connection waiting for its request is closed
    /// once it has waited `crowdedWait`, until this many remain; one whose request has
    /// arrived is never closed for room (see `ConnectionTable`).
    public var maxConnections = 128
    /// Plus up to as long again at random (see `ConnectionTable`). Far longer than any real
    /// client takes to send its request. Every slow peer closed comes straight back, so a
    /// shorter wait buys nothing: it costs CPU and bursts of reconnects that queue ahead of
    /// the probes (600 slow peers: 11 % of a core at 1 s; 6-7 % and no bursts at 4-8 s).
    public var crowdedWait: TimeAmount = .seconds(4)
    /// Never more open than this, nor than the open-files limit allows: beyond it the
    /// waiting connection due first is closed at once, however young.
    public var maxOpenConnections = 512

    public init() {}
}
