import Foundation
import GaneshaConfig
import Testing
import TestSupport

/// The rendered access rules as ganesha.nfsd itself reads them (4.3, and 6.5 in scripts/test.sh's
/// second pass): every canonical form ClientList emits must come out as the client meant,
/// with no config error.
@Suite("Ganesha reads the rendered access rules", .timeLimit(.minutes(1)))
struct GaneshaAcceptsAccessTests {
    @Test("each kind of entry becomes the network Ganesha was meant to see; squash and ids apply", .needs(.root, .tools(["ganesha.nfsd", "dbus-daemon"])))
    func everyFormParses() async throws {
        let dir = try TemporaryDirectory(prefix: "sm-access-parse")
        defer { dir.remove() }
        var settings = GaneshaSettings(
            volume: try VolumeName(validating: "vol-acl"),
            nfsAddress: try NetworkAddress(validating: "127.0.0.1", flag: "nfs-address"),
            nfsPort: 0, gracePeriod: 5, leaseLifetime: 5,
            exportPath: try SafePath(validating: dir.file("data"), flag: "mount-point"),
            recoveryRoot: try SafePath(validating: dir.file("recovery"), flag: "mount-point")
        )
        settings.exportConfig = try SafePath(validating: dir.file("export.conf"), flag: "state-dir")
        settings.allowedClients = try ClientList.parse(
            "10.0.0.0/8, 127.0.0.2/32, 192.168.1.7, FD00::/8, 2001:db8::/99, ::1/128, ::ffff:0:0/96, 0.0.0.0/1, localhost"
        )
        settings.squash = .allSquash
        settings.ganeshaVersion = try TestEnvironment.which("ganesha.nfsd").flatMap(GaneshaFixture.installedGaneshaVersion)
        settings.anonymousUID = try AnonymousID(validating: "12345", flag: "anonymous-uid")
        settings.anonymousGID = try AnonymousID(validating: "4294967294", flag: "anonymous-gid")
        let rendered = try Fixtures.templates().renderGanesha(settings)
        // Only the log level differs from what share-manager writes: it makes Ganesha list what it parsed.
        let main = rendered.main.replacingOccurrences(of: "TIRPC = CRIT;", with: "TIRPC = CRIT;\n        EXPORT = MID_DEBUG;")
        for folder in ["data", "recovery"] {
            try FileManager.default.createDirectory(atPath: dir.file(folder), withIntermediateDirectories: true)
        }
        try main.write(toFile: dir.file("ganesha.conf"), atomically: true, encoding: .utf8)
        try rendered.export.write(toFile: dir.file("export.conf"), atomically: true, encoding: .utf8)

        let log = try await ganeshaLog(config: dir.file("ganesha.conf"), dir: dir)
        let configProblems = log.split(separator: "\n").filter {
            $0.contains(":CONFIG :") && ($0.contains(":WARN :") || $0.contains(":CRIT :") || $0.contains(":MAJ :"))
                && !$0.contains("RADOS")
        }
        #expect(configProblems.isEmpty, "\(configProblems.joined(separator: "\n"))")
        for parsed in ["10.0.0.0/8", "127.0.0.2/32", "192.168.1.7/32", "fd00::/8", "2001:db8::/99", "::1/128", "::ffff:0:0/96", "0.0.0.0/1", "127.0.0.1/32"] {
            #expect(log.contains("NETWORK_CLIENT: \(parsed) (options="), "Ganesha did not list \(parsed)")
        }
        #expect(log.contains("anon_uid= 12345, anon_gid=    -2"), "anonymous ids not applied:\n\(log)")
        #expect(log.contains("all_squash    , RWrw"), "the CLIENT block's squash or access type missing:\n\(log)")
    }

    /// Runs Ganesha on a private bus until it listens, then stops it by PID; returns its log.
    private func ganeshaLog(config: String, dir: TemporaryDirectory) async throws -> String {
        let bus = try await PrivateBus.start()
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
        let logPath = dir.file("ganesha.log")
        let ganesha: ChildProcess
        do {
            ganesha = try ChildProcess(
                [TestEnvironment.which("ganesha.nfsd") ?? "ganesha.nfsd", "-F", "-f", config, "-L", logPath, "-p", dir.file("ganesha.pid")],
                environment: environment, logDirectory: dir.path, name: "ganesha")
        } catch {
            await bus.stop()
            throw error
        }
        // NFS_Port = 0: the port it chose, read from the kernel.
        let listening = await SocketProbe.waitUntil(timeout: .seconds(20)) {
            ganesha.isRunning && SocketProbe.listeningTCPPort(pid: ganesha.pid).map(SocketProbe.tcpPortAccepts) == true
        }
        await ganesha.stop()
        await bus.stop()
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        try #require(listening, "Ganesha did not start:\n\(log)\n\(ganesha.output)")
        return log
    }
}
