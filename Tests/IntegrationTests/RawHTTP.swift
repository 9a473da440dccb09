import Foundation

/// HTTP as an attacker speaks it: arbitrary bytes on a socket, sent as slowly as wanted.
/// Blocking sockets, run off the cooperative pool (see `HTTPGet`).
enum RawHTTP {
    enum Target: Sendable, CustomStringConvertible {
        case tcp(UInt16)
        case unix(String)

        var description: String {
            switch self {
            case .tcp(let port): "127.0.0.1:\(port)"
            case .unix(let path): path
            }
        }
    }

    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: String
        /// From connecting to the end of the answer, timed on the socket's own thread: the
        /// server's time, not the test pool's (which other suites may keep busy).
        var elapsed = Duration.zero
    }

    /// A connected socket, or -1; with `timeout`, -1 also when the server's accept queue
    /// has not taken the connection by then (a dropped SYN is otherwise retried for minutes).
    static func connect(_ target: Target, timeout: Duration? = nil) -> Int32 {
        switch target {
        case .tcp(let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return connect(AF_INET, &address, timeout)
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8).prefix($0.count - 1)) }
            return connect(AF_UNIX, &address, timeout)
        }
    }

    private static func connect<Address>(_ family: Int32, _ address: inout Address, _ timeout: Duration?) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        if let timeout {
            // Linux bounds a blocking connect by the send timeout.
            let parts = timeout.components
            var limit = timeval(tv_sec: Int(parts.seconds), tv_usec: Int(parts.attoseconds / 1_000_000_000_000))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        let done = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
        if done != 0 { close(fd); return -1 }
        return fd
    }

    /// Sends `request` whole and reads until the server closes or `timeout` passes; nil when
    /// nothing parseable came back (refused, closed without an answer, or no answer in time).
    static func exchange(_ target: Target, _ request: [UInt8], timeout: Int = 10) async -> Response? {
        await offPool { blockingExchange(target, request, timeout: timeout) }
    }

    static func blockingExchange(_ target: Target, _ request: [UInt8], timeout: Int = 10) -> Response? {
        let start = ContinuousClock.now
        let fd = connect(target)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // A server may answer and close before it has read everything (413, 431): read anyway.
            if count <= 0 { break }
            sent += count
        }
        var response = parse(readAll(fd))
        response?.elapsed = ContinuousClock.now - start
        return response
    }

    static func readAll(_ fd: Int32) -> [UInt8] {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return response
    }

    static func parse(_ bytes: [UInt8]) -> Response? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// Blocking work must not hold a thread of the test's cooperative pool (two on a
    /// 2-core machine, shared by every suite running).
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }

    static func offPoolThrowing<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// A well-formed request, closed after the answer.
    static func request(_ method: String, _ path: String, headers: [String] = [], body: [UInt8]? = nil) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: share-manager\r\nConnection: close\r\n"
        for header in headers { head += header + "\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + (body ?? [])
    }
}
