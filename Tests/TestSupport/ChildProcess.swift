import Foundation

/// A process a test started and must stop by PID, whatever happens to the test.
/// Its output goes to files, so a failing test can print them.
public final class ChildProcess: @unchecked Sendable {
    public let process: Process
    public let stdoutPath: String
    public let stderrPath: String

    public var pid: Int32 { process.processIdentifier }

    public init(_ argv: [String], environment: [String: String]? = nil, logDirectory: String, name: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        stdoutPath = logDirectory + "/\(name).stdout"
        stderrPath = logDirectory + "/\(name).stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }

    public func signal(_ sig: Int32) { if process.isRunning { kill(pid, sig) } }

    /// Waits up to `timeout` for exit; returns the exit status, or nil if it is still running.
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// SIGTERM, then SIGKILL after `grace`: the cleanup every test runs, pass or fail.
    public func stop(grace: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        if await wait(timeout: grace) == nil {
            kill(pid, SIGKILL)
            _ = await wait(timeout: .seconds(5))
        }
    }

    /// True once the process wrote `text` to stdout.
    public func printed(_ text: String) -> Bool {
        ((try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "").contains(text)
    }

    public var output: String {
        let out = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return "--- stdout\n\(out)\n--- stderr\n\(err)"
    }
}
