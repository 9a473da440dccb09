import Glibc
import LinuxSupport
import Logging
import Synchronization

/// A child process of share-manager: its output goes to our logger line by line, and its
/// exit is observed by waiting on its own pid (never `waitpid(-1)`, which would steal other
/// children's statuses).
public final class SupervisedProcess: Sendable {
    public let name: String
    public let pid: pid_t

    private struct State {
        var status: ExitStatus?
        var waiters: [CheckedContinuation<ExitStatus, Never>] = []
        var observers: [@Sendable (ExitStatus) -> Void] = []
    }
    private let state = Mutex(State())
    private let recent = RecentLines(keep: 32)

    /// Starts `executable` with `arguments`. `environment` is the whole environment of the child.
    /// `onLine` sees every line the child prints before it is logged (for parsing a child's
    /// own reports, such as Ganesha's grace messages) and returns the level and fields to log
    /// it with; without it every line is logged at info.
    public static func start(
        name: String, executable: String, arguments: [String],
        environment: [String: String], logger: Logger, onLine: (@Sendable (String) -> ChildLine)? = nil
    ) async throws(SpawnError) -> SupervisedProcess {
        let output = try Spawner.pipe(for: executable)
        let pid: pid_t
        do {
            pid = try await Spawner.shared.spawn(
                executable: executable, arguments: arguments, environment: environment, output: output.write
            )
        } catch {
            close(output.read)
            close(output.write)
            throw error
        }
        close(output.write)
        let child = SupervisedProcess(name: name, pid: pid)
        child.forwardOutput(from: output.read, logger: logger, onLine: onLine)
        child.reapInBackground()
        return child
    }

    private init(name: String, pid: pid_t) {
        self.name = name
        self.pid = pid
    }

    /// Lines the child prints become log records; read on a thread of their own because the
    /// read blocks.
    private func forwardOutput(from fd: Int32, logger: Logger, onLine: (@Sendable (String) -> ChildLine)?) {
        let name = self.name
        DetachedThread.start(name: "sm-out-\(name)") { [recent] in
            defer {
                close(fd)
                recent.end()
            }
            func relay(_ line: String) {
                recent.append(line)
                var relayed = onLine?(line) ?? ChildLine()
                relayed.metadata["child"] = "\(name)"
                logger.log(level: relayed.level, "\(line)", metadata: relayed.metadata)
            }
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                // A read error ends the output as its end of file does.
                let count = (try? retryingInterrupts { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }) ?? 0
                if count == 0 { break }
                pending.append(contentsOf: chunk[..<count])
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    if !line.isEmpty { relay(line) }
                }
            }
            if !pending.isEmpty { relay(String(decoding: pending, as: UTF8.self)) }
        }
    }

    private func reapInBackground() {
        let pid = self.pid
        DetachedThread.start(name: "sm-reap-\(name)") { [self] in
            let status = ExitStatus.reap(pid)
            let (waiters, observers) = state.withLock { state in
                state.status = status
                defer {
                    state.waiters = []
                    state.observers = []
                }
                return (state.waiters, state.observers)
            }
            waiters.forEach { $0.resume(returning: status) }
            observers.forEach { $0(status) }
        }
    }

    /// The last `count` lines the child printed. After an exit its last lines may still be
    /// in the pipe: waits up to `settle` for the pipe's end (bounded, because a grandchild
    /// can hold it open).
    public func lastLines(_ count: Int = 3, settle: Duration = .milliseconds(500)) async -> [String] {
        _ = await Deadline.first(within: settle) { [recent] deliver in recent.onEnd { deliver(()) } }
        return Array(recent.snapshot.lines.suffix(count))
    }

    /// How a child that ended during start-up ended, with its last `count` lines on one line.
    /// `relevant` picks the lines worth quoting (Ganesha 6 follows its FATAL line with a
    /// stack backtrace); when none is, the last lines are quoted whatever they are.
    public func exitReport(count: Int = 3, relevant: (String) -> Bool = { _ in true }) async -> String? {
        guard let status = exitStatus else { return nil }
        let printed = await lastLines(32)
        let picked = printed.filter(relevant).suffix(count)
        let lines = picked.isEmpty ? printed.suffix(count) : picked
        let said = lines.isEmpty ? "it printed nothing" : "its last lines: " + lines.joined(separator: " | ")
        return "\(name) \(status) during start-up; \(said)"
    }

    /// nil while the child runs.
    public var exitStatus: ExitStatus? { state.withLock { $0.status } }

    public var isRunning: Bool { exitStatus == nil }

    /// Waits for the child to end.
    public func waitForExit() async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> ExitStatus? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Calls `observer` once when the child ends (at once if it already has), from the
    /// thread that reaped it: a way to learn of the exit without a task parked on it.
    public func onExit(_ observer: @escaping @Sendable (ExitStatus) -> Void) {
        let done = state.withLock { state -> ExitStatus? in
            if let status = state.status { return status }
            state.observers.append(observer)
            return nil
        }
        if let done { observer(done) }
    }

    /// Waits up to `timeout`; nil when the child still runs. Woken by the exit itself; giving
    /// up leaves only an observer, which the exit calls and drops.
    public func waitForExit(timeout: Duration) async -> ExitStatus? {
        if let status = await Deadline.first(within: timeout, { deliver in onExit(deliver) }) { return status }
        return exitStatus
    }

    /// Sends `signal` unless the child is already gone (its pid may then belong to someone else).
    public func send(_ signal: Int32) {
        state.withLock { state in
            if state.status == nil { kill(pid, signal) }
        }
    }

    /// SIGTERM, then SIGKILL after `grace`. Returns how it ended.
    @discardableResult
    public func terminate(grace: Duration) async -> ExitStatus {
        send(SIGTERM)
        if let status = await waitForExit(timeout: grace) { return status }
        send(SIGKILL)
        return await waitForExit()
    }
}
