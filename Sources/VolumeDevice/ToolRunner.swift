import ChildProcesses
import Dispatch
import FoundationEssentials
import Glibc
import LinuxSupport
import Logging
import Synchronization

/// What an external tool did.
struct ToolResult: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String

    /// stderr (or stdout when stderr is empty) folded onto one line, for error descriptions.
    var summary: String {
        let text = stderr.isEmpty ? stdout : stderr
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmed }
        let joined = lines.filter { !$0.isEmpty }.joined(separator: "; ")
        return joined.isEmpty ? "no output" : String(joined.prefix(400))
    }
}

/// The one place that runs blkid, losetup, mkfs and friends, so that path lookup, locale and
/// pipe handling are the same for every tool.
struct ToolRunner: Sendable {
    let logger: Logger

    /// PATH, then the sbin folders, which `toolMissing` names.
    static func resolve(_ tool: String) -> String? {
        Executables.search(tool, fallbacks: ["/usr/sbin", "/sbin"])
    }

    /// Runs `tool` to completion whatever its exit status.
    func run(_ tool: String, _ arguments: [String]) throws(DeviceError) -> ToolResult {
        guard let executable = Self.resolve(tool) else { throw .toolMissing(tool) }
        // Messages such as "target is busy" are matched, so they must not be translated.
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        let result: ToolResult
        do {
            let output = try CapturedRun.run(executable: executable, arguments: arguments, environment: environment)
            result = ToolResult(status: output.status.shellStatus, stdout: output.stdout, stderr: output.stderr)
        } catch {
            throw .toolNotStarted(command: tool, error)
        }
        logger.debug("ran tool", metadata: [
            "command": "\(([tool] + arguments).joined(separator: " "))", "status": "\(result.status)",
        ])
        return result
    }

    /// Runs two read-only tools at once, the second on another thread: the start path waits
    /// for both anyway, and each mostly waits on its own exec and reads.
    func runBoth(
        _ first: (tool: String, arguments: [String]), _ second: (tool: String, arguments: [String])
    ) throws(DeviceError) -> (ToolResult, ToolResult) {
        let secondResult = Mutex<Result<ToolResult, DeviceError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        DetachedThread.start(name: "sm-tool") {
            let result = Result { () throws(DeviceError) in try run(second.tool, second.arguments) }
            secondResult.withLock { $0 = result }
            done.signal()
        }
        let firstResult = Result { () throws(DeviceError) in try run(first.tool, first.arguments) }
        done.wait()
        // The thread always reports before it signals; nil cannot happen.
        let other = secondResult.withLock { $0 } ?? .failure(.toolFailed(command: second.tool, status: -1, detail: "did not run"))
        return (try firstResult.get(), try other.get())
    }

    /// Runs `tool` and throws unless its exit status is one of `accepted`.
    @discardableResult
    func check(_ tool: String, _ arguments: [String], accepted: Set<Int32> = [0]) throws(DeviceError) -> ToolResult {
        let result = try run(tool, arguments)
        guard accepted.contains(result.status) else {
            throw .toolFailed(command: ([tool] + arguments).joined(separator: " "), status: result.status, detail: result.summary)
        }
        return result
    }
}
