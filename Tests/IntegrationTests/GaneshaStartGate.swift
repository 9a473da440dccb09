import Foundation
import TestSupport

/// A `ganesha.nfsd` put first on share-manager's PATH that execs the real one (whichever is
/// first on the test's PATH, e.g. scripts/ganesha-in-root.sh in the 6.5 pass), except for a
/// start the test asked to hold: that one stops itself (SIGSTOP) before it execs, so
/// share-manager stays in its start-up wait for that Ganesha until the test kills it. A
/// kill timed by this gate lands inside the start every time, not by luck of the clock.
struct GaneshaStartGate {
    let folder: String

    init(in dir: TemporaryDirectory) throws {
        folder = dir.file("gate")
        guard let real = TestEnvironment.which("ganesha.nfsd") else { throw FixtureError("no ganesha.nfsd on PATH") }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            if [ -e '\(folder)/hold-next' ]; then
                rm -f '\(folder)/hold-next'
                echo $$ > '\(folder)/held.tmp' && mv '\(folder)/held.tmp' '\(folder)/held.pid'
                kill -STOP $$
            fi
            exec '\(real)' "$@"
            """
        let path = folder + "/ganesha.nfsd"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// The test's environment with the gate first on PATH, for share-manager.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = folder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        return environment
    }

    /// The next start of Ganesha stops before it runs.
    func holdNextStart() {
        unlink(folder + "/held.pid")
        _ = FileManager.default.createFile(atPath: folder + "/hold-next", contents: nil)
    }

    /// Waits (bounded) until a held start has stopped itself; its pid, or nil.
    func heldStart(timeout: Duration = .seconds(30)) async -> pid_t? {
        var held: pid_t?
        _ = await SocketProbe.waitUntil(timeout: timeout) {
            guard let text = try? String(contentsOfFile: folder + "/held.pid", encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  // `pid (comm) S ...`: the state follows the last ')'.
                  let close = stat.lastIndex(of: ")"), stat[close...].dropFirst(2).first == "T" else { return false }
            held = pid
            return true
        }
        return held
    }
}
