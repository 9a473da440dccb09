import Glibc
import LinuxSupport

/// What a program run to completion printed, and how it ended.
public struct CapturedOutput: Sendable {
    public let status: ExitStatus
    public let stdout: String
    public let stderr: String
}

/// Runs a program to completion and collects its stdout and stderr, with posix pipes rather
/// than Foundation's `Process` (see `LinuxSupport.DetachedThread` for why not Foundation).
///
/// The child is forked from the calling thread and waited for on it, so its
/// PR_SET_PDEATHSIG (from the spawner's fork) fires only if share-manager itself dies: a
/// device tool must not go on changing a device after the process that vouched for it is
/// gone. Blocks: call it from a thread of its own (`BlockingExecutor`), never the pool.
public enum CapturedRun {
    public static func run(
        executable: String, arguments: [String], environment: [String: String]
    ) throws(SpawnError) -> CapturedOutput {
        let out = try Spawner.pipe(for: executable)
        let err: (read: Int32, write: Int32)
        do { err = try Spawner.pipe(for: executable) } catch {
            close(out.read); close(out.write)
            throw error
        }
        let pid: pid_t
        do {
            pid = try Spawner.forkExec(executable, arguments, environment, stdout: out.write, stderr: err.write)
        } catch {
            close(out.read); close(out.write); close(err.read); close(err.write)
            throw error
        }
        close(out.write); close(err.write)
        // Both pipes are drained together, so a child that fills one while we wait on the
        // other cannot stall.
        let (stdout, stderr) = drain(out.read, err.read)
        return CapturedOutput(
            status: ExitStatus.reap(pid),
            stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    private static func drain(_ outFD: Int32, _ errFD: Int32) -> ([UInt8], [UInt8]) {
        var collected: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            // poll fails only for want of memory; the pipes are then closed as if at their end.
            guard (try? retryingInterrupts({ poll(&fds, nfds_t(fds.count), -1) })) != nil else { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let fd = fds[index].fd
                let count = (try? retryingInterrupts { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }) ?? 0
                if count > 0 {
                    collected[index].append(contentsOf: buffer[..<count])
                } else {
                    close(fd)
                    fds[index].fd = -1  // poll ignores negative fds
                }
            }
        }
        for entry in fds where entry.fd >= 0 { close(entry.fd) }
        return (collected[0], collected[1])
    }
}
