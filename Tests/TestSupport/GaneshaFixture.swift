import Foundation
import GaneshaConfig
import Synchronization

/// A real `ganesha.nfsd` on its own private bus, with no export: tests add them over D-Bus.
///
/// Everything it starts is stopped by PID in ``stop()``, which every test calls, pass or fail.
public final class GaneshaFixture: Sendable {
    public let bus: PrivateBus
    /// Holds the config, log, pid file, recovery root and whatever the test adds.
    public let directory: TemporaryDirectory
    public let process: ChildProcess
    /// Ganesha's choice (it starts with `NFS_Port = 0`), known once ``waitUntilReady(timeout:isRegistered:)`` returned.
    public var port: UInt16 { listening.withLock { $0 } ?? 0 }
    private let listening = Mutex<UInt16?>(nil)

    public var logPath: String { directory.file("ganesha.log") }

    private init(bus: PrivateBus, directory: TemporaryDirectory, process: ChildProcess) {
        self.bus = bus
        self.directory = directory
        self.process = process
    }

    /// Starts a bus, then Ganesha on it, listening on a port of 127.0.0.1 it chooses.
    /// Call ``waitUntilReady(timeout:isRegistered:)`` before talking to it.
    public static func start() async throws -> GaneshaFixture {
        guard let executable = TestEnvironment.which("ganesha.nfsd") else {
            throw FixtureError("ganesha.nfsd is not installed")
        }
        let bus = try await PrivateBus.start()
        let directory: TemporaryDirectory
        do {
            directory = try TemporaryDirectory(prefix: "sm-ganesha")
        } catch {
            await bus.stop()
            throw error
        }
        do {
            try FileManager.default.createDirectory(atPath: directory.file("recovery"), withIntermediateDirectories: true)
            let configPath = directory.file("ganesha.conf")
            try mainConfig(port: 0, recoveryRoot: directory.file("recovery"), version: installedGaneshaVersion(executable))
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
            let process = try ChildProcess(
                [executable, "-F", "-f", configPath, "-L", directory.file("ganesha.log"),
                 "-p", directory.file("ganesha.pid")],
                environment: environment, logDirectory: directory.path, name: "ganesha")
            return GaneshaFixture(bus: bus, directory: directory, process: process)
        } catch {
            directory.remove()
            await bus.stop()
            throw error
        }
    }

    /// The release `executable -v` names, as share-manager reads it; nil when it names none.
    public static func installedGaneshaVersion(_ executable: String) throws -> GaneshaVersion? {
        GaneshaVersion.parse(versionOutput: try runCommand([executable, "-v"]).stdout)
    }

    /// The main config: NFSv4.1/4.2 only, no NLM/RQUOTA/UDP, and no EXPORT block; a release
    /// that exits without CAP_SYS_RESOURCE unless told otherwise (6.1+) is told otherwise.
    static func mainConfig(port: UInt16, recoveryRoot: String, version: GaneshaVersion?) -> String {
        let ioFlusher = version?.knowsIoFlusherOption == true ? "Allow_Set_Io_Flusher_Fail = true;" : ""
        return """
        NFS_CORE_PARAM {
            \(ioFlusher)
            Protocols = 4;
            NFS_Port = \(port);
            Bind_addr = 127.0.0.1;
            Enable_NLM = false;
            Enable_RQUOTA = false;
            Enable_UDP = false;
            fsid_device = false;
        }
        NFSV4 {
            Grace_Period = 90;
            Lease_Lifetime = 60;
            RecoveryBackend = fs;
            RecoveryRoot = \(recoveryRoot);
            Minor_Versions = 1, 2;
        }
        NFS_KRB5 { Active_krb5 = false; }
        LOG {
            Default_Log_Level = EVENT;
            Components { TIRPC = CRIT; }
        }

        """
    }

    /// Waits until Ganesha owns its bus name (`isRegistered`, asked through the client
    /// under test) and listens on its NFS port, which it then accepts TCP on; throws with
    /// its log otherwise.
    public func waitUntilReady(timeout: Duration = .seconds(15), isRegistered: () async -> Bool) async throws {
        let ready = await SocketProbe.waitUntil(timeout: timeout) {
            guard process.isRunning, let port = SocketProbe.listeningTCPPort(pid: process.pid),
                  SocketProbe.tcpPortAccepts(port) else { return false }
            listening.withLock { $0 = port }
            return await isRegistered()
        }
        guard ready else {
            throw FixtureError("Ganesha was not ready within \(timeout) (running: \(process.isRunning))\n\(diagnostics)")
        }
    }

    /// Ganesha's log and output, for a failing test to print.
    public var diagnostics: String {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return "--- ganesha.log\n\(log)\n\(process.output)"
    }

    /// Stops Ganesha by PID (SIGTERM, then SIGKILL after 10 s), then the bus, and removes
    /// the directories.
    public func stop() async {
        await process.stop(grace: .seconds(10))
        await bus.stop()
        directory.remove()
    }
}
