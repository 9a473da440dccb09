import Foundation
import Synchronization
import Logging
import LinuxSupport
@testable import ChildProcesses
import Testing

@Suite("Supervised children", .timeLimit(.minutes(1)))
struct SupervisedProcessTests {
    let logger = Logger(label: "test")

    func start(_ executable: String, _ arguments: [String]) async throws -> SupervisedProcess {
        try await SupervisedProcess.start(
            name: "test", executable: executable, arguments: arguments,
            environment: ProcessInfo.processInfo.environment, logger: logger
        )
    }

    @Test("exit codes and signals are reported as they happened")
    func exitStatus() async throws {
        let exits = try await start("/bin/sh", ["-c", "exit 3"])
        #expect(await exits.waitForExit() == .exited(3))
        let killed = try await start("/bin/sleep", ["60"])
        killed.send(SIGKILL)
        #expect(await killed.waitForExit() == .signalled(SIGKILL))
        #expect(!killed.isRunning)
    }

    @Test("SIGTERM reaches the child even when the forking thread blocks it (the mask is reset)")
    func signalMaskReset() async throws {
        // A child inherits the mask of the thread that forks it, the spawner's: block SIGTERM
        // there first (and check that it took), so that a child keeping that mask would
        // ignore SIGTERM and die only of the SIGKILL after the grace period.
        let blocked = await Spawner.shared.onSpawnerThread { Self.blockSIGTERM(true) }
        #expect(blocked, "SIGTERM is not blocked on the spawner thread: the test proves nothing")
        let child: SupervisedProcess
        do {
            child = try await start("/bin/sleep", ["60"])
        } catch {
            _ = await Spawner.shared.onSpawnerThread { Self.blockSIGTERM(false) }
            throw error
        }
        _ = await Spawner.shared.onSpawnerThread { Self.blockSIGTERM(false) }
        let mask = try String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
        #expect(mask.map { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } == 0, "the child's \(mask ?? "mask")")
        let status = await child.terminate(grace: .seconds(10))
        #expect(status == .signalled(SIGTERM))
    }

    /// Blocks or unblocks SIGTERM in the calling thread; returns whether it is blocked now.
    private static func blockSIGTERM(_ block: Bool) -> Bool {
        var term = sigset_t()
        sigemptyset(&term)
        sigaddset(&term, SIGTERM)
        pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &term, nil)
        var now = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &now)
        return sigismember(&now, SIGTERM) == 1
    }

    @Test("a child inherits no file descriptor but 0, 1 and 2")
    func noLeakedDescriptors() async throws {
        // A pipe without close-on-exec, as Foundation's Process makes them.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let child = try await start("/bin/sleep", ["60"])
        defer { child.send(SIGKILL) }
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd").sorted()
        #expect(open == ["0", "1", "2"])
    }

    @Test("onExit observers hear of the exit once, even when registered late")
    func observers() async throws {
        let child = try await start("/bin/true", [])
        _ = await child.waitForExit()
        let heard = Mutex<[ChildProcesses.ExitStatus]>([])
        child.onExit { status in heard.withLock { $0.append(status) } }
        #expect(heard.withLock { $0 } == [.exited(0)])
    }

    @Test("a missing executable fails the start with a clear error, not exit 127")
    func missingExecutable() async {
        await #expect(throws: SpawnError.self) { try await start("/nonexistent/ganesha.nfsd", []) }
    }

    @Test("work with a BlockingExecutor preference runs on that executor's thread")
    func blockingExecutor() async {
        let executor = BlockingExecutor(name: "test-blocking")
        // As the lifecycle uses it: a nonisolated async function called under the preference.
        let name = await withTaskExecutorPreference(executor) { await threadNameAfterHop() }
        #expect(name == "test-blocking")
        #expect(currentThreadName() != "test-blocking")
    }
}

/// A nonisolated async function, which runs on the preferred task executor.
private func threadNameAfterHop() async -> String? {
    await Task.yield()
    return currentThreadName()
}
