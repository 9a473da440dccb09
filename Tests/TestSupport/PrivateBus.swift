import Foundation
import GaneshaConfig

/// A real `dbus-daemon` serving a private "system" bus for one test, configured from the
/// same template share-manager renders (`ganesha-templates/dbus-system-bus.conf.mustache`).
public final class PrivateBus: Sendable {
    /// Where the socket, config and logs live; removed by ``stop()``.
    public let directory: TemporaryDirectory
    /// The address clients connect to, `unix:path=<dir>/system_bus_socket`.
    public let address: String
    public let daemon: ChildProcess

    private init(directory: TemporaryDirectory, address: String, daemon: ChildProcess) {
        self.directory = directory
        self.address = address
        self.daemon = daemon
    }

    /// Starts the daemon and waits (up to 10 s) until its socket accepts connections.
    ///
    /// `extraPolicy` is XML inserted as the last policy, for tests that need rules the
    /// production config has no reason to carry (e.g. owning a test-only name).
    public static func start(extraPolicy: String? = nil) async throws -> PrivateBus {
        guard let executable = TestEnvironment.which("dbus-daemon") else {
            throw FixtureError("dbus-daemon is not installed")
        }
        let directory = try TemporaryDirectory(prefix: "sm-bus")
        do {
            let configPath = directory.file("bus.conf")
            try renderConfig(runDirectory: directory.path, extraPolicy: extraPolicy)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            let daemon = try ChildProcess(
                [executable, "--nofork", "--nopidfile", "--config-file=\(configPath)"],
                logDirectory: directory.path, name: "dbus-daemon")
            let socket = directory.file("system_bus_socket")
            let bus = PrivateBus(directory: directory, address: "unix:path=\(socket)", daemon: daemon)
            let up = await SocketProbe.waitUntil(timeout: .seconds(10)) {
                daemon.isRunning && SocketProbe.unixSocketAccepts(socket)
            }
            guard up else {
                let output = daemon.output
                await bus.stop()
                throw FixtureError("dbus-daemon did not start listening on \(socket)\n\(output)")
            }
            return bus
        } catch {
            directory.remove()
            throw error
        }
    }

    /// The template with its mustache pragma dropped and the run directory and Ganesha's
    /// policy, wherever this distribution keeps it, filled in.
    static func renderConfig(runDirectory: String, extraPolicy: String?) throws -> String {
        let template = TestEnvironment.repositoryRoot
            .appendingPathComponent("ganesha-templates/dbus-system-bus.conf.mustache")
        let text = try String(contentsOf: template, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.first?.hasPrefix("{{%") == true { lines.removeFirst() }
        let policy = try GaneshaBusPolicy.locate().value
        var config = lines.joined(separator: "\n").replacingOccurrences(of: "{{runDirectory}}", with: runDirectory)
            .replacingOccurrences(of: "{{ganeshaPolicy}}", with: policy)
        if let extraPolicy, let end = config.range(of: "</busconfig>", options: .backwards) {
            config.replaceSubrange(end, with: extraPolicy + "\n</busconfig>")
        }
        return config
    }

    /// Kills the daemon abruptly, as a crash would; the directory stays for ``stop()``.
    public func kill() async {
        daemon.signal(SIGKILL)
        _ = await daemon.wait(timeout: .seconds(5))
    }

    /// Kills the daemon by PID and removes its directory.
    ///
    /// SIGKILL straight away: a test bus has nothing to flush, and a child started by
    /// Foundation's `Process` here inherits a mask that blocks SIGTERM, which dbus-daemon
    /// (unlike Ganesha, which uses sigwait) would then never see.
    public func stop() async {
        await kill()
        directory.remove()
    }
}
