import NIOCore
import NIOPosix

/// A test client for servers the test itself started in-process (hummingbird's live-test
/// pattern): real connections to a real listener, TCP or unix socket. It writes the request
/// bytes itself, so a test can send exactly the malformed or oversized request it means to,
/// and reads until the server closes (every request here says `Connection: close`).
public enum LiveHTTP {
    public enum Target: Sendable {
        case tcp(host: String, port: Int)
        case unixSocket(String)
    }

    public struct Response: Sendable {
        public var status: Int
        /// Names lower-cased, in order.
        public var headers: [(name: String, value: String)]
        public var body: String

        public func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    public static func request(
        _ target: Target, _ method: String, _ path: String, headers: [String] = [], body: [UInt8] = []
    ) async throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        for header in headers { head += header + "\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        return try parse(try await exchange(target, Array((head + "\r\n").utf8) + body))
    }

    /// Sends `bytes` and returns all the server sent until it closed the connection.
    public static func exchange(_ target: Target, _ bytes: [UInt8]) async throws -> [UInt8] {
        let channel = try await connect(target)
        return try await channel.executeThenClose { inbound, outbound in
            if !bytes.isEmpty { try await outbound.write(ByteBuffer(bytes: bytes)) }
            var received: [UInt8] = []
            for try await var chunk in inbound {
                received += chunk.readBytes(length: chunk.readableBytes) ?? []
            }
            return received
        }
    }

    public typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// An open connection, for tests that hold it (idle, or sending slowly).
    public static func connect(_ target: Target) async throws -> Connection {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        let wrap: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            channel.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: channel) }
        }
        switch target {
        case .tcp(let host, let port): return try await bootstrap.connect(host: host, port: port, channelInitializer: wrap)
        case .unixSocket(let path): return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: wrap)
        }
    }

    /// One HTTP/1.1 response with a Content-Length (what the server under test sends).
    public static func parse(_ bytes: [UInt8]) throws -> Response {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.firstRange(of: "\r\n\r\n") else { throw Malformed(description: "no end of head in \(text.debugDescription)") }
        let lines = text[..<end.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusWords = lines.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, statusWords[0] == "HTTP/1.1", let status = Int(statusWords[1]) else {
            throw Malformed(description: "bad status line \(String(lines.first ?? "").debugDescription)")
        }
        let headers = lines.dropFirst().map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (line[..<colon].lowercased(), String(line[colon...].dropFirst().drop { $0 == " " }))
        }
        return Response(status: status, headers: headers, body: String(text[end.upperBound...]))
    }
}
