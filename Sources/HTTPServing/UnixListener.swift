import Glibc
import NIOCore

/// A unix stream socket listening at `path`, mode 0600 from the moment it exists.
///
/// The mode is set on the socket before `bind` (Linux creates the file with the socket's
/// mode less the umask), not through `umask`: the umask is the whole process's, so a folder
/// another task created meanwhile got 0600 too (a test beside a live control socket saw it).
enum UnixListener {
    static func bind(_ path: String, backlog: Int32) throws -> NIOBSDSocket.Handle {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            guard fchmod(fd, 0o600) == 0 else { throw IOError(errnoCode: errno, reason: "fchmod") }
            try removeStaleSocket(path)
            let address = try SocketAddress(unixDomainSocketPath: path)
            guard address.withSockAddr({ Glibc.bind(fd, $0, socklen_t($1)) }) == 0 else {
                throw IOError(errnoCode: errno, reason: "bind(\(path))")
            }
            guard listen(fd, backlog) == 0 else { throw IOError(errnoCode: errno, reason: "listen") }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// A socket left by an earlier run is replaced; anything else at the path is an error.
    private static func removeStaleSocket(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw IOError(errnoCode: errno, reason: "lstat(\(path))")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw IOError(errnoCode: EEXIST, reason: "\(path) exists and is not a socket") }
        guard unlink(path) == 0 || errno == ENOENT else { throw IOError(errnoCode: errno, reason: "unlink(\(path))") }
    }

    /// The socket file as bound, so that stopping removes it only while it is still ours (NIO
    /// removes the files of sockets it bound itself, not of one it adopted).
    struct File: Sendable {
        let path: String
        let device: UInt64
        let inode: UInt64

        init?(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            self.path = path
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }

        func remove() {
            guard let now = File(path), now.device == device, now.inode == inode else { return }
            unlink(path)
        }
    }

    /// NIO listens again with its own default backlog when it adopts the socket; this puts
    /// ours back (listen on a listening socket only changes the backlog).
    static func restoreBacklog(_ fd: NIOBSDSocket.Handle, _ backlog: Int32) {
        _ = listen(fd, backlog)
    }
}
