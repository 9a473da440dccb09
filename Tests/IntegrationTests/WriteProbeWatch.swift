import Foundation
import TestSupport

/// Sees share-manager's write probe run, so that a test waits for a probe instead of
/// sleeping past its 5 s interval. The probe opens an unnamed file (O_TMPFILE) in its
/// folder; inotify reports that to a watch on the folder as IN_OPEN of `#<inode>`, a name
/// no real file there has.
final class WriteProbeWatch {
    private let fd: Int32
    private var started = 0

    /// Watches `folder`: the marker folder (`<mount>/.share-manager`) of a volume of our own
    /// layout, the mount point of an adopted one.
    init(folder: String) throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw FixtureError("inotify_init1: \(String(cString: strerror(errno)))") }
        guard inotify_add_watch(fd, folder, UInt32(IN_OPEN)) >= 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw FixtureError("cannot watch \(folder): \(reason)")
        }
    }

    deinit { close(fd) }

    /// Waits until `count` probes have started since the watch began. share-manager records
    /// a probe's verdict before the next one starts, so 2 means a whole probe ran, and its
    /// verdict stands, after the watch began.
    func waitForProbes(_ count: Int = 2, timeout: Duration = .seconds(30)) async -> Bool {
        await SocketProbe.waitUntil(timeout: timeout) {
            readEvents()
            return started >= count
        }
    }

    private func readEvents() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= n {
                let length = buffer.withUnsafeBytes { Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)) }
                if length > 0 && buffer[offset + header] == UInt8(ascii: "#") { started += 1 }
                offset += header + length
            }
        }
    }
}
