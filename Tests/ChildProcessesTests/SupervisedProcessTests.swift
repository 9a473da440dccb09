import Foundation
import Synchronization
import Logging
import LinuxSupport
import ChildProcesses
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

    @Test("SIGTERM reaches the child even when the parent blocks it (the mask is reset)")
    func signalMaskReset() async throws {
        // The test runner blocks SIGTERM in its threads; a child that inherited that mask
        // would ignore it and only die of the SIGKILL after the grace period.
        let child = try await start("/bin/sleep", ["60"])
        let status = await child.terminate(grace: .seconds(10))
        #expect(status == .signalled(SIGTERM))
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
