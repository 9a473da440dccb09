import Foundation
import Testing
import TestSupport

/// `Tools/nfs41_client.py` as a test drives it: a process whose stdout is one JSON event
/// per line.
struct ReclaimClient {
    let process: ChildProcess

    static var script: String {
        TestEnvironment.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Tools/nfs41_client.py").path
    }

    /// Starts `mode` against `sm` with `arguments` after the server flags.
    static func start(
        _ mode: String, _ sm: ShareManagerUnderTest, name: String, _ arguments: [String]
    ) throws -> ReclaimClient {
        let argv = ["/usr/bin/python3", script, mode, "--server", "127.0.0.1", "--port", String(sm.nfsPort),
                    "--export", sm.volume] + arguments
        return ReclaimClient(process: try ChildProcess(argv, logDirectory: sm.dir.path, name: name))
    }

    /// Runs a one-shot mode to completion and returns its events.
    static func run(_ mode: String, _ sm: ShareManagerUnderTest, name: String, _ arguments: [String]) async throws -> [[String: Any]] {
        let client = try start(mode, sm, name: name, arguments)
        _ = await client.process.wait(timeout: .seconds(120))
        await client.process.stop()
        return client.events
    }

    var events: [[String: Any]] {
        let text = (try? String(contentsOfFile: process.stdoutPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func event(_ name: String) -> [String: Any]? { events.first { $0["event"] as? String == name } }

    /// Waits for the first event called `name` (or an error event, or the client's exit).
    func wait(for name: String, timeout: Duration) async -> [String: Any]? {
        await wait(for: name, count: 1, timeout: timeout)
    }

    /// Waits for the `count`th event called `name`, e.g. the second reclaim after a second crash.
    func wait(for name: String, count: Int, timeout: Duration) async -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        func found() -> [String: Any]? {
            let matching = events.filter { $0["event"] as? String == name }
            return matching.count >= count ? matching[count - 1] : nil
        }
        while ContinuousClock.now < deadline {
            if let hit = found() { return hit }
            if event("error") != nil || !process.isRunning { return found() }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}
