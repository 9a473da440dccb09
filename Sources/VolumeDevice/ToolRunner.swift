import Foundation
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
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let joined = lines.filter { !$0.isEmpty }.joined(separator: "; ")
        return joined.isEmpty ? "no output" : String(joined.prefix(400))
    }
}

/// The one place that runs blkid, losetup, mkfs and friends, so that path lookup, locale and
/// pipe handling are the same for every tool.
struct ToolRunner: Sendable {
    let logger: Logger

    /// The sbin folders come last and always: a container's PATH often lacks them.
    static func resolve(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        return folders.map { $0 + "/" + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `tool` to completion whatever its exit status.
    func run(_ tool: String, _ arguments: [String]) throws(DeviceError) -> ToolResult {
        guard let executable = Self.resolve(tool) else { throw .toolMissing(tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Messages such as "target is busy" are matched, so they must not be translated.
        process.environment = ProcessInfo.processInfo.environment.merging(["LC_ALL": "C"]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw .toolFailed(command: tool, status: -1, detail: "\(error)") }
        // Both pipes are drained before waiting, stderr on another thread, so that a child
        // that fills one pipe while we block on the other cannot stall.
        let errData = Mutex(Data())
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errData.withLock { $0 = data }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let result = ToolResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: errData.withLock { String(decoding: $0, as: UTF8.self) }
        )
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
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let result = Result { () throws(DeviceError) in try run(second.tool, second.arguments) }
            secondResult.withLock { $0 = result }
        }
        let firstResult = Result { () throws(DeviceError) in try run(first.tool, first.arguments) }
        group.wait()
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
