import Foundation
import GaneshaControl

/// A private bus and a Ganesha serving one export, in a temporary directory: a pared-down
/// copy of the test fixtures (a benchmark cannot import TestSupport).
struct BenchServers {
    let directory: String
    let busAddress: String
    let exportFile: String
    let port: UInt16
    let processes: [Process]

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func start() async throws -> BenchServers {
        let directory = NSTemporaryDirectory() + "sm-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory + "/export", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/recovery", withIntermediateDirectories: true)
        let template = try String(
            contentsOf: repositoryRoot.appendingPathComponent("ganesha-templates/dbus-system-bus.conf.mustache"),
            encoding: .utf8)
        try template.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("{{%") }
            .joined(separator: "\n").replacingOccurrences(of: "{{runDirectory}}", with: directory)
            .write(toFile: directory + "/bus.conf", atomically: true, encoding: .utf8)
        let port = try freePort()
        try """
            NFS_CORE_PARAM { Protocols = 4; NFS_Port = \(port); Bind_addr = 127.0.0.1; Enable_NLM = false;
                Enable_RQUOTA = false; Enable_UDP = false; fsid_device = false; }
            NFSV4 { RecoveryBackend = fs; RecoveryRoot = \(directory)/recovery; Minor_Versions = 1, 2; Grace_Period = 90; }
            NFS_KRB5 { Active_krb5 = false; }
            LOG { Default_Log_Level = EVENT; Components { TIRPC = CRIT; } }
            """.write(toFile: directory + "/ganesha.conf", atomically: true, encoding: .utf8)
        try """
            EXPORT { Export_Id = 1; Path = \(directory)/export; Pseudo = /vol; Filesystem_Id = 1.1; Access_Type = RW;
                Squash = No_Root_Squash; Protocols = 4; Transports = TCP; SecType = sys; FSAL { Name = VFS; } }
            """.write(toFile: directory + "/export.conf", atomically: true, encoding: .utf8)

        let socket = directory + "/system_bus_socket"
        let bus = try launch("/usr/bin/dbus-daemon", ["--nofork", "--nopidfile", "--config-file=\(directory)/bus.conf"])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(50)) }
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=\(socket)"
        let ganesha = try launch(
            "/usr/bin/ganesha.nfsd",
            ["-F", "-f", directory + "/ganesha.conf", "-L", directory + "/ganesha.log", "-p", directory + "/ganesha.pid"],
            environment: environment)
        return BenchServers(
            directory: directory, busAddress: "unix:path=\(socket)", exportFile: directory + "/export.conf", port: port,
            processes: [ganesha, bus])
    }

    /// Waits up to 15 s for Ganesha to own its bus name.
    func waitForGanesha(_ client: GaneshaClient) async throws {
        for _ in 0..<300 {
            if (try? await client.isRegistered()) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("Ganesha did not register on the bus; see \(directory)/ganesha.log")
    }

    /// Writes one file over NFSv4.1 with the test client when its venv exists, so that
    /// GetNFSv41IO has counters to return; reports whether it did.
    func writeOnce() throws -> Bool {
        let python = Self.repositoryRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let script = Self.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Tools/nfs_client.py").path
        let client = try Self.launch(python, [script, "write", "nfs://127.0.0.1:\(port)/vol?version=4.1", "b.bin", "65536"])
        client.waitUntilExit()
        return client.terminationStatus == 0
    }

    /// Kills both servers by PID and removes the directory.
    func stop() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func launch(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A TCP port of 127.0.0.1 that the kernel just handed out.
    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw BenchError("no free TCP port: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
