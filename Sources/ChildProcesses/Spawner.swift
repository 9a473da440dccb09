import CSpawn
import Dispatch
import FoundationEssentials
import Glibc
import LinuxSupport
import Synchronization

/// Forks every child from one thread that lives as long as share-manager.
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
        let argv = [executable] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        let result: (pid: pid_t, errno: Int32) = await onSpawnerThread {
            withCStrings(argv) { cArgv in
                withCStrings(envp) { cEnvp in
                    let pid = cspawn_spawn(executable, cArgv, cEnvp, output, output)
                    return (pid, pid < 0 ? errno : 0)
                }
            }
        }
        guard result.pid > 0 else {
            throw SpawnError(executable: executable, reason: String(cString: strerror(result.errno)))
        }
        return result.pid
    }
}

/// A child that could not be started.
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let executable: String
    public let reason: String
    public var description: String { "cannot start \(executable): \(reason); is its package installed?" }
}
