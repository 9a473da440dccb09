internal import CSpawn
import Glibc
import LinuxSupport
import Synchronization
import SystemPackage

/// Keeps a server's client TCP connections open across the server's death, so that a client
/// meets neither a refused nor a dropped connect while the server restarts in place.
///
/// While the server runs, `sync` takes a duplicate (pidfd_getfd) of each connection the
/// server accepted on its port. When the server dies, the kernel closes its descriptors, but
/// not the sockets we hold: no FIN or RST reaches the client, whose requests wait, unanswered,
/// in the socket's buffer. `release` closes the duplicates once the next server listens; the
/// Linux client, seeing the connection reset, reconnects at once, straight to it, and sends
/// its requests again. Without this it reconnects within milliseconds of the death, long
/// before the next server binds, and waits 1 s (a dropped SYN) or 3 s (a refusal).
///
/// Hand-written: no package duplicates another process's descriptors. Needs what ptrace
/// needs (a parent, same uid, Yama scope 0 or 1), and pidfd_getfd in the seccomp profile;
/// without them `sync` reports the failure and nothing is kept.
public final class ConnectionKeeper: Sendable {
    /// The most connections held: each costs one descriptor of ours, and half of what we
    /// may open is left to the rest of share-manager. Beyond this many (a client opening
    /// connections by the thousand), newer connections are not kept.
    public static let limit: Int = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 256 }
        return Int(min(1024, limit.rlim_cur / 2))
    }()

    private struct Kept {
        /// The server's descriptor as /proc shows it, `socket:[inode]`: a closed and reused
        /// descriptor number shows another inode.
        let link: String
        /// Our duplicate; nil for a socket of the server's that is not a connection on the port.
        let fd: Int32?
    }

    private struct State {
        var pid: Int32 = 0
        var pidfd: Int32 = -1
        var port: UInt16 = 0
        var kept: [Int32: Kept] = [:]
        /// Set when the server died: its descriptor table is gone, and a listing of it must
        /// not be taken for connections it closed.
        var frozen = false
        var generation = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// How many connections are held now.
    public var count: Int { state.withLock { $0.kept.values.count { $0.fd != nil } } }

    /// Follows the server `pid`, which serves on `port`; what was kept of an earlier server
    /// is released first (call it once the new server listens). A server that died already
    /// changes nothing: what is kept waits for the one after it.
    public func watch(pid: Int32, port: UInt16) throws(SystemCallError) {
        let pidfd: Int32
        do throws(Errno) {
            pidfd = try retryingInterrupts { cspawn_pidfd_open(pid) }
        } catch {
            if error == .noSuchProcess { return }
            throw SystemCallError("pidfd_open", path: "pid \(pid)", errno: error)
        }
        let old = state.withLock { state -> [Int32] in
            let old = Self.takeAll(&state)
            state.pid = pid
            state.pidfd = pidfd
            state.port = port
            return old
        }
        old.forEach { close($0) }
    }

    /// The server died: keeps what is held, follows nothing until the next `watch`. Call it
    /// from the thread that reaped the server, before anything else.
    public func serverDied() {
        state.withLock { $0.frozen = true }
    }

    /// Closes every duplicate (the next server listens, or there will be none: a stop, a
    /// restart that failed); follows nothing until the next `watch`.
    public func release() {
        let fds = state.withLock { Self.takeAll(&$0) }
        fds.forEach { close($0) }
    }

    /// Takes duplicates of the connections the server accepted since the last call, and
    /// closes ours of those it closed (a client sees the FIN only once we did). Blocking
    /// reads of /proc: call it off the cooperative pool. Throws when a duplicate cannot be
    /// had (EPERM without ptrace rights or under a seccomp profile without pidfd_getfd).
    public func sync() throws(SystemCallError) {
        let (pid, pidfd, port, known, generation) = state.withLock { state in
            state.generation += 1
            return (state.pid, state.pidfd, state.port, state.frozen ? nil : state.kept, state.generation)
        }
        guard let known, pidfd >= 0 else { return }
        guard let listing = ProcessDescriptors.list(pid: pid) else { return }
        var added: [Int32: Kept] = [:]
        var gone: [Int32] = []
        var failure: SystemCallError?
        var held = known.values.count { $0.fd != nil }
        for (fd, link) in listing {
            if let old = known[fd], old.link == link { continue }
            if known[fd] != nil { gone.append(fd) }
            guard link.hasPrefix("socket:[") else { continue }
            guard held < Self.limit else { break }
            let duplicate: Int32
            do throws(Errno) {
                duplicate = try retryingInterrupts { cspawn_pidfd_getfd(pidfd, fd) }
            } catch {
                // A socket closed, or the server gone, since our listing is no loss; anything
                // else (EPERM: no ptrace rights, or seccomp) is.
                if error != .badFileDescriptor && error != .noSuchProcess {
                    failure = SystemCallError("pidfd_getfd", path: "/proc/\(pid)/fd/\(fd)", errno: error)
                }
                continue
            }
            if Self.isConnection(duplicate, onPort: port) {
                added[fd] = Kept(link: link, fd: duplicate)
                held += 1
            } else {
                close(duplicate)
                added[fd] = Kept(link: link, fd: nil)
            }
        }
        let present = Set(listing.map(\.fd))
        // A table without its standard descriptors is of a process that is exiting (the
        // kernel closed them all): nothing in it was closed by the server itself.
        let exiting = !(0...2).allSatisfy(present.contains)
        if !exiting { gone += known.keys.filter { !present.contains($0) } }
        let (closing, stillFollowed) = state.withLock { state -> ([Int32], Bool) in
            // Another `watch`, `release` or a death came meanwhile: what we took is still the
            // server's connections, and keeping them is the point; what we judged gone is not.
            let current = state.generation == generation && state.pid == pid && !state.frozen
            var closing: [Int32] = []
            if current {
                for fd in gone { if let old = state.kept.removeValue(forKey: fd)?.fd { closing.append(old) } }
            }
            if state.pid == pid && state.pidfd == pidfd {
                for (fd, kept) in added {
                    if let old = state.kept.updateValue(kept, forKey: fd)?.fd { closing.append(old) }
                }
            } else {
                closing += added.values.compactMap(\.fd)
            }
            return (closing, state.pid == pid && state.pidfd == pidfd && !state.frozen)
        }
        closing.forEach { close($0) }
        // A failure after a `release` or `watch` meanwhile (our pidfd closed under us, its
        // number perhaps reused) or a death says nothing about our rights: only report one
        // about the server we still follow.
        if let failure, stillFollowed { throw failure }
    }

    private static func takeAll(_ state: inout State) -> [Int32] {
        var fds = state.kept.values.compactMap(\.fd)
        if state.pidfd >= 0 { fds.append(state.pidfd) }
        state.kept = [:]
        state.pidfd = -1
        state.pid = 0
        state.frozen = false
        return fds
    }

    /// An established TCP connection whose local port is `port` (the server's accepted
    /// connections; its listener and its other sockets are not).
    private static func isConnection(_ fd: Int32, onPort port: UInt16) -> Bool {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var type: Int32 = 0
        var typeLength = socklen_t(MemoryLayout<Int32>.size)
        var peer = sockaddr_storage()
        var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typeLength) == 0, type == Int32(SOCK_STREAM.rawValue),
              withUnsafeMutablePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }) == 0,
              withUnsafeMutablePointer(to: &peer, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &peerLength) } }) == 0
        else { return false }
        switch Int32(address.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &address) { $0.load(as: sockaddr_in.self).sin_port } == port.bigEndian
        case AF_INET6:
            return withUnsafeBytes(of: &address) { $0.load(as: sockaddr_in6.self).sin6_port } == port.bigEndian
        default:
            return false
        }
    }
}

/// Another process's open descriptors, from /proc/<pid>/fd: each number and what its link
/// names (`socket:[inode]`, a path, `pipe:[...]`).
public enum ProcessDescriptors {
    /// nil when the table cannot be read (the process is gone, or not ours to read).
    public static func list(pid: Int32) -> [(fd: Int32, link: String)]? {
        let path = "/proc/\(pid)/fd"
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var found: [(Int32, String)] = []
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name) else { continue }
            let count = readlink("\(path)/\(name)", &target, target.count)
            guard count > 0 else { continue }
            found.append((fd, String(decoding: target.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        return found
    }
}
