import CSpawn
import Glibc
import LinuxSupport

/// Runs a tool to completion and collects its stdout and stderr, with posix pipes rather
/// than Foundation's `Process` (see `LinuxSupport.DetachedThread` for why not Foundation).
///
/// The child is forked from the calling thread and waited for on it, so its
/// PR_SET_PDEATHSIG (from `cspawn_spawn`) fires only if share-manager itself dies: a tool
/// must not go on changing a device after the process that vouched for it is gone.
enum CapturedRun {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(executable: String, arguments: [String], environment: [String: String]) throws(Failure) -> ToolResult {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard cspawn_pipe(&out) == 0 else { throw Failure(description: "pipe: \(errnoText())") }
        guard cspawn_pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw Failure(description: "pipe: \(errnoText())")
        }
        let pid = withCStrings([executable] + arguments) { argv in
            withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
                cspawn_spawn(executable, argv, envp, out[1], err[1])
            }
        }
        let spawnErrno = errno
        close(out[1]); close(err[1])
        guard pid > 0 else {
            close(out[0]); close(err[0])
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(spawnErrno)))")
        }
        // Both pipes are drained together, so a child that fills one while we wait on the
        // other cannot stall.
        let (stdout, stderr) = drain(out[0], err[0])
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WTERMSIG by hand: the C macros do not import into Swift. A tool killed
        // by a signal reports 128 + signal, as a shell would.
        let signal = raw & 0x7F
        let status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        return ToolResult(
            status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    private static func drain(_ outFD: Int32, _ errFD: Int32) -> ([UInt8], [UInt8]) {
        var collected: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    collected[index].append(contentsOf: buffer[..<count])
                } else if count == 0 || errno != EINTR {
                    close(fds[index].fd)
                    fds[index].fd = -1  // poll ignores negative fds
                }
            }
        }
        for entry in fds where entry.fd >= 0 { close(entry.fd) }
        return (collected[0], collected[1])
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
