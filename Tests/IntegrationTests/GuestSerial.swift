import Foundation
import Synchronization
import TestSupport

/// The host's end of a guest's second serial port: QEMU serves it on a unix socket and
/// starts the guest only once we are connected (`wait=on`), so no event is lost. A thread of
/// its own reads it (blocking reads stay off the cooperative pool) and keeps every line.
final class GuestSerial: Sendable {
    private let fd: Int32
    private let lines = Mutex<[String]>([])
    private let closed = Mutex(false)

    /// Connects to `path`, retrying until QEMU has made the socket or `timeout` passes.
    static func connect(_ path: String, timeout: Duration, while alive: @escaping @Sendable () -> Bool) async throws -> GuestSerial {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && alive() {
            if let fd = try await offPool({ Self.connectOnce(path) }) { return GuestSerial(fd: fd) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("QEMU did not open its serial socket \(path) within \(timeout) (running: \(alive()))")
    }

    private init(fd: Int32) {
        self.fd = fd
        let thread = Thread { [self] in readLines() }
        thread.name = "guest-serial"
        thread.start()
    }

    private static func connectOnce(_ path: String) -> Int32? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result == 0 { return fd }
        close(fd)
        return nil
    }

    private func readLines() {
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending += buffer[0..<count]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                lines.withLock { $0.append(line) }
                pending.removeSubrange(...newline)
            }
        }
        // Under the lock, so that shutdownConnection never touches a number reused since.
        closed.withLock {
            $0 = true
            close(fd)
        }
    }

    var received: [String] { lines.withLock { $0 } }
    var isClosed: Bool { closed.withLock { $0 } }

    /// One command line to the probe. The guest is slow: a short write to a socket does not block.
    func send(_ command: String) throws {
        let bytes = Array((command + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw FixtureError("serial write of '\(command)' failed: errno \(errno)") }
    }

    /// Ends the reader: QEMU's exit closes the other end anyway; this covers a QEMU that hung.
    func shutdownConnection() {
        closed.withLock { if !$0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) } }
    }
}
