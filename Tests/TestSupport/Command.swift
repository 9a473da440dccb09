import Foundation

/// The outcome of a command run to completion.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs `argv` to completion (tests only: blocking, output read after exit is fine for small outputs).
@discardableResult
public func runCommand(_ argv: [String], environment: [String: String]? = nil, stdin: Data? = nil) throws -> CommandResult {
    let process = Process()
    let exe = argv[0].hasPrefix("/") ? argv[0] : (TestEnvironment.which(argv[0]) ?? argv[0])
    process.executableURL = URL(fileURLWithPath: exe)
    process.arguments = Array(argv.dropFirst())
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe(), inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try process.run()
    if let stdin { inPipe.fileHandleForWriting.write(stdin) }
    try? inPipe.fileHandleForWriting.close()
    // Read before waiting so a chatty child cannot fill the pipe and stall.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

/// SHA-256 of a file's bytes, through coreutils (no crypto dependency for tests).
public func sha256(ofFile path: String) throws -> String {
    let result = try runCommand(["sha256sum", path])
    return String(result.stdout.split(separator: " ").first ?? "")
}

/// The same as the blocking `runCommand`, on a thread of its own: an async test that waits
/// for a tool must not hold one of the few cooperative threads the whole test process
/// shares (with two suites at once on two cores, D-Bus tests starved that way).
@discardableResult
public func runCommand(_ argv: [String], environment: [String: String]? = nil, stdin: Data? = nil) async throws -> CommandResult {
    try await offPool { try runCommand(argv, environment: environment, stdin: stdin) as CommandResult }
}

/// The same as the blocking `sha256(ofFile:)`, off the cooperative pool.
public func sha256(ofFile path: String) async throws -> String {
    try await offPool { try sha256(ofFile: path) as String }
}
