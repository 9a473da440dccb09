import Foundation
import GaneshaConfig
import Testing

@Suite("Ganesha releases: what -v says, what each release gets")
struct GaneshaVersionTests {
    @Test("-v output of real releases, and of development builds", arguments: [
        ("NFS-Ganesha Release = V4.3\n", GaneshaVersion(major: 4, minor: 3)),
        ("NFS-Ganesha Release = V6.5\n", GaneshaVersion(major: 6, minor: 5)),
        ("NFS-Ganesha Release = V6.2.1\nganesha.nfsd compiled on Jan  1 2025 at 00:00:00\nGit HEAD = abc\n", GaneshaVersion(major: 6, minor: 2)),
        ("NFS-Ganesha Release = V6-dev.20\n", GaneshaVersion(major: 6, minor: 0)),
        ("NFS-Ganesha Release = 5.7\n", GaneshaVersion(major: 5, minor: 7)),
        ("some banner\nNFS-Ganesha Release = V7.0-rc1\n", GaneshaVersion(major: 7, minor: 0)),
    ])
    func parses(output: String, expected: GaneshaVersion) {
        #expect(GaneshaVersion.parse(versionOutput: output) == expected)
    }

    @Test("anything else is no version, not a guess", arguments: [
        "", "\n\n", "ganesha.nfsd: invalid option -- 'v'\n", "NFS-Ganesha Release = \n",
        "NFS-Ganesha Release = Vx.y\n", "NFS-Ganesha Release = V99999999999999999999.1\n",
        "NFS-Ganesha Release = V6.\n", " NFS-Ganesha Release = V6.5\n", "NFS-Ganesha Release = V٦.٥\n",
        String(repeating: "x", count: 100_000),
    ])
    func refuses(output: String) {
        #expect(GaneshaVersion.parse(versionOutput: output) == nil)
    }

    @Test("Allow_Set_Io_Flusher_Fail only for releases that know it (6.1 and later)")
    func ioFlusherOption() throws {
        var settings = try Fixtures.settings()
        let templates = try Fixtures.templates()
        for (version, expected) in [(nil, false), (GaneshaVersion.bookworm, false), (GaneshaVersion(major: 6, minor: 0), false),
                                    (GaneshaVersion(major: 6, minor: 1), true), (GaneshaVersion.trixie, true), (GaneshaVersion(major: 7, minor: 0), true)] {
            settings.ganeshaVersion = version
            let main = templates.renderGanesha(settings).main
            #expect(main.contains("    Allow_Set_Io_Flusher_Fail = true;\n") == expected, "\(String(describing: version))")
            #expect(!main.contains("{{") && !main.contains("\n\n\n"))
        }
    }

    @Test("main config for Ganesha 6.5 matches its golden file; the export file is the same for both")
    func trixieGolden() throws {
        var settings = try Fixtures.settings()
        settings.ganeshaVersion = .trixie
        let rendered = try Fixtures.templates().renderGanesha(settings)
        #expect(rendered.main == (try Fixtures.golden("ganesha-6.5.conf")))
        #expect(rendered.export == (try Fixtures.golden("export.conf")))
        settings.ganeshaVersion = .bookworm
        #expect(try Fixtures.templates().renderGanesha(settings).main == (try Fixtures.golden("ganesha.conf")))
    }

    @Test("the bus policy is found in /etc first, then /usr/share; missing everywhere is one clear line naming the paths")
    func busPolicyLocated() throws {
        let root = NSTemporaryDirectory() + "sm-policy-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let etc = root + "/etc/dbus-1/system.d", usr = root + "/usr/share/dbus-1/system.d"
        for dir in [etc, usr] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        #expect(throws: BusPolicyError.self) { try GaneshaBusPolicy.locate(in: [etc, usr]) }
        do {
            _ = try GaneshaBusPolicy.locate(in: [etc, usr])
        } catch {
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains(etc + "/nfs-ganesha-dbus.conf") && error.description.contains(usr + "/nfs-ganesha-dbus.conf"))
        }
        // A folder by that name is not the file.
        try FileManager.default.createDirectory(atPath: etc + "/nfs-ganesha-dbus.conf", withIntermediateDirectories: true)
        try "<busconfig/>".write(toFile: usr + "/nfs-ganesha-dbus.conf", atomically: true, encoding: .utf8)
        #expect(try GaneshaBusPolicy.locate(in: [etc, usr]).value == usr + "/nfs-ganesha-dbus.conf")
        try FileManager.default.removeItem(atPath: etc + "/nfs-ganesha-dbus.conf")
        try "<busconfig/>".write(toFile: etc + "/nfs-ganesha-dbus.conf", atomically: true, encoding: .utf8)
        #expect(try GaneshaBusPolicy.locate(in: [etc, usr]).value == etc + "/nfs-ganesha-dbus.conf")
    }

    @Test("a policy at a path a bus config cannot hold is refused, not written into it")
    func busPolicyUnsafePath() throws {
        let root = NSTemporaryDirectory() + "sm-policy-\(UUID().uuidString)/a\"b<c"
        defer { try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "<busconfig/>".write(toFile: root + "/nfs-ganesha-dbus.conf", atomically: true, encoding: .utf8)
        let error = #expect(throws: BusPolicyError.self) { try GaneshaBusPolicy.locate(in: [root]) }
        #expect(error?.unusable == root + "/nfs-ganesha-dbus.conf")
        #expect(error?.description.contains("a bus config cannot hold") == true)
    }
}
