import SystemPackage
import LinuxSupport
import ChildProcesses
import Glibc
import NIOCore

/// The CLI's side of the control API: one HTTP/1.1 request over the unix socket. Plain
/// sockets, because the CLI runs once and exits and needs nothing more.
public struct ControlClient: Sendable {
    let socketPath: String
    /// Resize and trim run device tools, which may take a while on a big volume.
    var timeoutSeconds = 120

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    func request(_ method: String, _ path: String, body: String? = nil) throws(Failure) -> (status: Int, body: String) {
        let fd: Int32
        do {
            fd = try connectStream(to: try SocketAddress(unixDomainSocketPath: socketPath))
        } catch {
            throw Failure(description: "cannot reach the control socket \(socketPath) (\(error)); is share-manager running for this volume? (--control-socket, --state-dir or --volume)")
        }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let payload = body ?? ""
        let request = "\(method) \(path) HTTP/1.1\r\nHost: share-manager\r\nConnection: close\r\n"
            + (body == nil ? "" : "Content-Type: application/json\r\n")
            + "Content-Length: \(payload.utf8.count)\r\n\r\n" + payload
        guard Self.sendAll(fd, Array(request.utf8)) else {
            throw Failure(description: "sending to \(socketPath) failed: \(Errno.last)")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "no answer from \(socketPath) within \(timeoutSeconds) s") }
            response += buffer[0..<count]
        }
        return try Self.parse(response)
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Status line and body; the server always sends Content-Length and closes.
    static func parse(_ response: [UInt8]) throws(Failure) -> (status: Int, body: String) {
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.firstRange(of: "\r\n\r\n") else { throw Failure(description: "the answer was not HTTP") }
        let statusLine = text[..<split.lowerBound].prefix { $0 != "\r" }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "the answer was not HTTP") }
        return (status, String(text[split.upperBound...]))
    }
}
