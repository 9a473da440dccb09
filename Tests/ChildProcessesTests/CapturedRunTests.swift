import ChildProcesses
import Testing

@Suite("Running a tool and collecting its output")
struct CapturedRunTests {
    private func shell(_ script: String) throws -> CapturedOutput {
        try CapturedRun.run(executable: "/bin/sh", arguments: ["-c", script], environment: ["PATH": "/usr/bin:/bin"])
    }

    @Test("stdout, stderr and the exit status come back apart")
    func separates() throws {
        let result = try shell("echo out; echo err >&2; exit 3")
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(result.status == .exited(3))
    }

    @Test("a tool that fills both pipes far past their buffers does not stall")
    func largeOutputOnBothPipes() throws {
        // 1 MiB on each, interleaved: a reader that drained one pipe to its end first would
        // leave the tool blocked on the other.
        let result = try shell("i=0; while [ $i -lt 16 ]; do head -c 65536 /dev/zero; head -c 65536 /dev/zero >&2; i=$((i+1)); done")
        #expect(result.stdout.utf8.count == 1 << 20)
        #expect(result.stderr.utf8.count == 1 << 20)
        #expect(result.status == .exited(0))
    }

    @Test("a tool killed by a signal reports the signal, and 128 + it as a shell would, never a success code")
    func killedBySignal() throws {
        let status = try shell("kill -9 $$").status
        #expect(status == .signalled(9))
        #expect(status.shellStatus == 128 + 9)
    }

    @Test("the environment given is the environment the tool sees")
    func environment() throws {
        let result = try CapturedRun.run(executable: "/usr/bin/env", arguments: [], environment: ["LC_ALL": "C"])
        #expect(result.stdout == "LC_ALL=C\n")
    }

    @Test("a missing executable fails to start instead of exiting 127")
    func missing() {
        #expect(throws: SpawnError(executable: "/nonexistent/tool", step: .exec, errno: .noSuchFileOrDirectory)) {
            try CapturedRun.run(executable: "/nonexistent/tool", arguments: [], environment: [:])
        }
    }

    @Test("the tool inherits no descriptor of ours but 0, 1 and 2")
    func noLeakedDescriptors() throws {
        let result = try shell("ls /proc/self/fd")
        // ls itself opens one descriptor for the folder it lists.
        let fds = result.stdout.split(separator: "\n").compactMap { Int($0) }.filter { $0 > 2 }
        #expect(fds.count <= 1, "inherited: \(fds)")
    }
}
