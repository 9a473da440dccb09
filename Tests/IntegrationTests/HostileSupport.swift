import Foundation
import Testing
import TestSupport

/// glibc's (2.34 and later), declared by its headers only for _GNU_SOURCE.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32

/// Runs a program whose argv and environment are raw bytes. Foundation's `Process` takes
/// Strings, which cannot carry the invalid UTF-8 a hostile caller can put in either.
enum RawProcess {
    struct Outcome: Sendable {
        /// nil when the program had to be killed at the time limit.
        let status: Int32?
        let stdout: String
        let stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    static func run(
        _ argv: [[UInt8]], environment: [[UInt8]], outputs folder: String, name: String, timeout: Duration
    ) async throws -> Outcome {
        let outPath = folder + "/\(name).stdout"
        let errPath = folder + "/\(name).stderr"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Otherwise the child inherits whatever this process has open at that moment (a file
        // inside another row's tamper mount keeps that mount busy).
        _ = addCloseFrom(&actions, 3)
        let cArgv = argv.map(cString)
        let cEnv = environment.map(cString)
        defer { (cArgv + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = (cArgv + [nil]).withUnsafeBufferPointer { args in
            (cEnv + [nil]).withUnsafeBufferPointer { env in
                posix_spawn(&pid, cArgv[0]!, &actions, nil, args.baseAddress!, env.baseAddress!)
            }
        }
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status = await reap(pid, within: timeout)
        var stuck = ""
        if status == nil {
            stuck = "\nstill running after \(timeout): " + ((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "")
                .split(separator: "\n").filter { $0.hasPrefix("State") || $0.hasPrefix("Threads") }.joined(separator: ", ")
            // Accepted by mistake and running: stop it in order so it unmounts and detaches.
            // Still our unreaped child, so the pid cannot belong to anyone else yet.
            kill(pid, SIGTERM)
            if await reap(pid, within: .seconds(20)) == nil {
                kill(pid, SIGKILL)
                _ = await reap(pid, within: .seconds(5))
            }
            status = nil
        }
        // Decoded leniently: whatever share-manager wrote must show up in a failure message.
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return Outcome(status: status, stdout: read(outPath), stderr: read(errPath) + stuck)
    }

    private static func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
        let memory = malloc(bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
        bytes.withUnsafeBytes { if let base = $0.baseAddress { memcpy(memory, base, bytes.count) } }
        memory[bytes.count] = 0
        return memory
    }

    /// The exit code, 128+N for a signal, or nil while it still runs at the deadline.
    private static func reap(_ pid: pid_t, within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            if reaped == pid { return raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }
            // Reaped elsewhere: gone, its status unknown; its pid may already be reused.
            if reaped < 0 && errno == ECHILD { return -1 }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// What a refused start must leave behind: exactly what was there.
struct UntouchedImage {
    let image: String
    let hash: String

    /// The helpers block on their child: off the test pool, or a 2-core machine runs two rows at a time.
    init(_ image: String) async {
        self.image = image
        hash = await RawHTTP.offPool { (try? sha256(ofFile: image)) ?? "unreadable" }
    }

    func expectUntouched(_ attack: String, mountPoint: String) async {
        let (now, loops) = await RawHTTP.offPool { [image] in ((try? sha256(ofFile: image)) ?? "unreadable", SystemState.loopDevices(backing: image)) }
        #expect(now == hash, "\(attack): the image's bytes changed")
        #expect(loops.isEmpty, "\(attack): a loop device was left attached")
        #expect(!MountInfo.isMounted(mountPoint), "\(attack): the mount point is mounted")
    }
}

/// The mount table, read whole. `String(contentsOfFile:)` reads a procfs file with one call,
/// which returns one page: past ~25 mounts `SystemState.isMounted` misses some.
enum MountInfo {
    static func lines() -> [Substring] {
        let fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n")
    }

    /// Mount point (field 5) and source (after the " - fstype" separator) of each mount.
    static func mounts() -> [(point: String, source: String)] {
        lines().compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), fields.count > dash + 2, fields.count > 4 else { return nil }
            return (fields[4], fields[dash + 2])
        }
    }

    static func isMounted(_ path: String) -> Bool { mounts().contains { $0.point == path } }

    /// After a failed row: whatever is mounted under `folder`, or from a loop device of
    /// `image` (a crashed share-manager's private peek mount), is unmounted, and the loop
    /// devices detached, so that nothing outlives the row.
    static func release(folder: String, image: String) {
        let loops = SystemState.loopDevices(backing: image).split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }
        for mount in mounts() where mount.point.hasPrefix(folder + "/") || loops.contains(mount.source) {
            _ = try? runCommand(["umount", "-l", mount.point])
        }
        for loop in loops { SystemState.detach(loop, ifBacking: image) }
    }
}

/// At most `limit` bodies at once.
actor Gate {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        if running >= limit { await withCheckedContinuation { waiting.append($0) } } else { running += 1 }
        defer { if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() } }
        return try await body()
    }
}
