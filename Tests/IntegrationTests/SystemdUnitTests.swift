import Foundation
import Testing
import TestSupport

/// deploy/systemd/share-manager@.service: systemd accepts it, and share-manager serves with
/// no more than the capabilities it grants.
@Suite("the systemd unit: verified by systemd-analyze, enough capabilities to serve", .serialized, .timeLimit(.minutes(3)))
struct SystemdUnitTests {
    static var unitPath: String {
        TestEnvironment.repositoryRoot.appendingPathComponent("deploy/systemd/share-manager@.service").path
    }

    /// The unit's `CapabilityBoundingSet=` lines, merged as systemd merges them.
    static func boundingSet() throws -> Set<String> {
        let unit = try String(contentsOfFile: unitPath, encoding: .utf8)
        return Set(unit.split(separator: "\n").filter { $0.hasPrefix("CapabilityBoundingSet=") }
            .flatMap { $0.dropFirst("CapabilityBoundingSet=".count).split(separator: " ").map(String.init) })
    }

    /// `systemd-analyze verify` needs no running systemd, but checks that ExecStart exists:
    /// here the copy runs the built binary instead of /usr/bin/share-manager. It exits 0 on
    /// lines it ignores, so its output must be empty too.
    @Test("systemd-analyze verify finds nothing to say about an instance of the unit", .needs(.tools(["systemd-analyze"])))
    func verify() throws {
        let dir = try TemporaryDirectory(prefix: "sm-unit")
        let unit = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/share-manager run"))
        try unit.replacingOccurrences(of: "/usr/bin/share-manager", with: Binaries.shareManager)
            .write(toFile: dir.file("share-manager@.service"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.file("share-manager@vol1.service"), withDestinationPath: "share-manager@.service")
        let result = try runCommand(["/bin/sh", "-c", "cd '\(dir.path)' && systemd-analyze verify ./share-manager@vol1.service"])
        #expect(result.status == 0 && (result.stdout + result.stderr).isEmpty, "\(result.stdout)\(result.stderr)")
        for line in ["Type=notify", "WatchdogSec=", "WatchdogSignal=SIGTERM", "KillMode=mixed", "Restart=on-failure", "NoNewPrivileges=yes"] {
            #expect(unit.contains("\n" + line), "\(line) missing")
        }
    }

    @Test("the bounding set is docs/security.md's list", .needs(.tools(["systemd-analyze"])))
    func capabilitiesAsDocumented() throws {
        let security = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("docs/security.md"), encoding: .utf8)
        let table = security.split(separator: "\n").filter { $0.hasPrefix("| share-manager |") || $0.hasPrefix("| ganesha.nfsd |") }
        let documented = Set(table.flatMap { row in
            row.split(separator: "`").filter { $0.hasPrefix("CAP_") }.map(String.init)
        })
        #expect(try Self.boundingSet() == documented)
    }

    @Test(
        "share-manager serves and a client writes and reads with only the unit's capabilities and no_new_privs (setpriv)",
        .realParts(python: true, extraTools: ["setpriv"]))
    func servesWithTheUnitsCapabilities() async throws {
        let bounding = try Self.boundingSet().map { "+" + $0.dropFirst("CAP_".count).lowercased() }.sorted()
        try await withImage(prefix: "sm-caps") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-caps", dir: dir, image: image)
            let setpriv = try #require(TestEnvironment.which("setpriv"))
            let argv = [setpriv, "--bounding-set=-all," + bounding.joined(separator: ","), "--no-new-privs", "--"] + sm.arguments
            let process = try ChildProcess(argv, logDirectory: dir.path, name: "caps")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let status = try String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)
                #expect(status.contains("NoNewPrivs:\t1"), "\(status)")
                let written = try nfsClient(["write", sm.nfsURL, "c.bin", "65536"])
                #expect(written.status == 0, "\(written.stderr)\n\(process.output)")
                #expect(try nfsClient(["read", sm.nfsURL, "c.bin"]).stdout == written.stdout)
                // pidfd_getfd on our own child needs no CAP_SYS_PTRACE, which the unit does not grant.
                #expect(!process.output.contains("cannot keep NFS client connections"), "\(process.output)")
            }
        }
    }
}
