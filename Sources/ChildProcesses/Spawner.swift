internal import CSpawn
import Dispatch
import Glibc
import LinuxSupport
import Synchronization
import SystemPackage

/// Forks every long-lived child from one thread that lives as long as share-manager.
///
/// Children get PR_SET_PDEATHSIG so they cannot outlive us, and Linux fires that signal
/// when the *thread* that forked exits, not the process: a child forked from a pooled
/// thread was seen killed 10–20 s later while share-manager ran on. One dedicated thread
/// that never exits makes the signal mean what we want.
public final class Spawner: Sendable {
    public static let shared = Spawner()

    private struct Request: @unchecked Sendable {
        let work: () -> Void
    }

    private let queue = Mutex<[Request]>([])
    private let wakeup = DispatchSemaphore(value: 0)

    private init() {
        // The spawner is a process-wide singleton, so the thread may hold it strongly.
        DetachedThread.start(name: "sm-spawner") { [self] in
            while true {
                wakeup.wait()
                let next = queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                next?.work()
            }
        }
    }

    /// Runs `body` on the spawner thread and returns its result.
    func onSpawnerThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.withLock { $0.append(Request { continuation.resume(returning: body()) }) }
            wakeup.signal()
        }
    }

    /// Starts `executable` with `arguments`; its stdout and stderr go to `output`.
    func spawn(
        executable: String, arguments: [String], environment: [String: String], output: Int32
    ) async throws(SpawnError) -> pid_t {
        let result = await onSpawnerThread {
            Result { () throws(SpawnError) in
                try Self.forkExec(executable, arguments, environment, stdout: output, stderr: output)
            }
        }
        return try result.get()
    }

    /// The one fork and exec of the package, from the calling thread (see the type for why
    /// the thread matters).
    static func forkExec(
        _ executable: String, _ arguments: [String], _ environment: [String: String], stdout: Int32, stderr: Int32
    ) throws(SpawnError) -> pid_t {
        // errno is read before the argument copies are freed.
        let (pid, failure) = withCStrings([executable] + arguments) { argv in
            withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
                let pid = cspawn_spawn(executable, argv, envp, stdout, stderr)
                return (pid, Errno.last)
            }
        }
        guard pid > 0 else { throw SpawnError(executable: executable, step: .exec, errno: failure) }
        return pid
    }

    /// A pipe made close-on-exec atomically: one made without it could leak into whatever
    /// another thread starts meanwhile, and keep its end open.
    static func pipe(for executable: String) throws(SpawnError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard cspawn_pipe(&fds) == 0 else { throw SpawnError(executable: executable, step: .pipe, errno: .last) }
        return (fds[0], fds[1])
    }
}
