import Foundation
import Testing
import TestSupport

/// README's first command, `scripts/demo.sh`, with the binary already built (SHARE_MANAGER
/// skips the install and the release build): it must print a mount command that names the
/// port really served, serve a write through it, and stop in order at Ctrl-C (SIGINT to the
/// script alone, as a terminal sends it to the script's process group).
@Suite("scripts/demo.sh serves and prints a working mount command", .timeLimit(.minutes(2)))
struct DemoScriptTests {
    @Test("the printed mount line's port serves NFSv4.1; Ctrl-C exits 0 with the volume released",
          .realParts(python: true, extraTools: ["setsid", "truncate", "python3"]))
    func demoServesAndStops() async throws {
        let dir = try TemporaryDirectory(prefix: "sm-demo")
        defer {
            SystemState.forceCleanup(mountPoint: dir.file("mnt"), image: dir.file("demo.img"))
            dir.remove()
        }
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/demo.sh").path
        var environment = ProcessInfo.processInfo.environment
        environment["SHARE_MANAGER"] = Binaries.shareManager
        environment["DEMO_DIR"] = dir.path
        environment["NFS_PORT"] = "0"
        environment["HTTP_PORT"] = "0"
        // The test process spawns with most signals blocked, and a shell cannot trap a blocked
        // signal: clear the mask first, as a terminal's shell has it.
        let unblocked = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv('/bin/bash', ['bash', sys.argv[1]])"
        let python = try #require(TestEnvironment.which("python3"))
        let demo = try ChildProcess([python, "-c", unblocked, script], environment: environment, logDirectory: dir.path, name: "demo")
        defer { Self.stopServers(under: dir.path) }
        try await stoppingAfterwards(demo) {
            let line = try #require(await mountLine(of: demo), "no mount line within 60 s:\n\(demo.output)")
            #expect(line.hasPrefix("mount -t nfs4 -o vers=4.1,port="), "\(line)")
            #expect(line.hasSuffix(" 127.0.0.1:/demo /mnt/demo"), "\(line)")
            #expect(demo.printed("nfs-common"))
            let options = try #require(line.split(separator: " ").dropFirst(4).first)
            let port = try #require(options.split(separator: ",").first { $0.hasPrefix("port=") }.flatMap { UInt16($0.dropFirst(5)) })

            let written = try nfsClient(["write", "nfs://127.0.0.1:\(port)/demo?version=4.1", "demo.bin", "65536"])
            try #require(written.status == 0, "write through the printed port failed: \(written.stderr)\n\(demo.output)")
            #expect(FileManager.default.fileExists(atPath: dir.file("mnt/data/demo.bin")))

            demo.signal(SIGINT)
            #expect(await demo.wait(timeout: .seconds(20)) == 0, "\(demo.output)")
            #expect(demo.output.contains("share-manager exits with status 0"))
        }
        #expect(!SystemState.isMounted(dir.file("mnt")))
        #expect(SystemState.loopDevices(backing: dir.file("demo.img")).isEmpty)
    }

    /// The indented `mount -t nfs4 ...` line, once the script printed it.
    private func mountLine(of demo: ChildProcess) async -> String? {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, demo.isRunning {
            let out = (try? String(contentsOfFile: demo.stdoutPath, encoding: .utf8)) ?? ""
            if let line = out.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { $0.hasPrefix("mount -t nfs4") }) {
                return line
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The script runs share-manager in a session of its own: when the script was killed
    /// instead of stopping it, SIGTERM, by PID, whatever share-manager serves from `dir`.
    private static func stopServers(under dir: String) {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
        for pid in pids {
            guard let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                  cmdline.contains("\0run\0"), cmdline.contains("\0--device\0\(dir)/demo.img\0") else { continue }
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(15)
            while kill(pid, 0) == 0, ContinuousClock.now < deadline { usleep(50_000) }
        }
    }
}
