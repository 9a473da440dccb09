import Foundation
import GaneshaConfig
import Testing

@Suite("Rendering the Ganesha files")
struct RenderingTests {
    @Test("main config matches its golden file")
    func mainGolden() throws {
        let rendered = try Fixtures.templates().renderGanesha(Fixtures.settings())
        #expect(rendered.main == (try Fixtures.golden("ganesha.conf")))
    }

    @Test("export file matches its golden file (Export_Id and Filesystem_Id frozen)")
    func exportGolden() throws {
        let rendered = try Fixtures.templates().renderGanesha(Fixtures.settings())
        #expect(rendered.export == (try Fixtures.golden("export.conf")))
    }

    @Test("bus config matches its golden file")
    func busGolden() throws {
        let dir = try SafePath(validating: "/var/run/share-manager/pvc-0a1b2c/bus", flag: "state-dir")
        let policy = try SafePath(validating: "/usr/share/dbus-1/system.d/nfs-ganesha-dbus.conf", flag: "bus policy")
        #expect(try Fixtures.templates().renderBusConfig(runDirectory: dir, ganeshaPolicy: policy) == (try Fixtures.golden("bus.conf")))
    }

    @Test("the main config has no EXPORT block; the export file has exactly one")
    func exportOnlyInExportFile() throws {
        let rendered = try Fixtures.templates().renderGanesha(Fixtures.settings())
        #expect(!rendered.main.contains("EXPORT"))
        #expect(rendered.export.components(separatedBy: "EXPORT {").count == 2)
    }

    @Test("no HTML entity in any output, even for values with characters mustache would escape")
    func noHTMLEntities() throws {
        // '=' ',' '+' '@' ':' are allowed in paths; none may come out escaped.
        var settings = try Fixtures.settings()
        settings.exportPath = try SafePath(validating: "/export/a=b,c+d@e:f/data", flag: "mount-point")
        let templates = try Fixtures.templates()
        let rendered = templates.renderGanesha(settings)
        let bus = templates.renderBusConfig(
            runDirectory: try SafePath(validating: "/run/x", flag: "state-dir"),
            ganeshaPolicy: try SafePath(validating: "/etc/dbus-1/system.d/nfs-ganesha-dbus.conf", flag: "bus policy")
        )
        for text in [rendered.main, rendered.export, bus] {
            #expect(text.range(of: #"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);"#, options: .regularExpression) == nil)
            #expect(!text.contains("{{"))
        }
        #expect(rendered.export.contains("Path = \"/export/a=b,c+d@e:f/data\";"))
    }

    @Test("Filesystem_Id is derived from the volume name alone and frozen")
    func filesystemIDFrozen() throws {
        #expect(FilesystemID.forVolume(try VolumeName(validating: "pvc-0a1b2c")) == "2931560798.1444626564")
        #expect(FilesystemID.forVolume(try VolumeName(validating: "a")) == "2942557260.2248273036")
        #expect(FilesystemID.forVolume(try VolumeName(validating: "vol-1")) != FilesystemID.forVolume(try VolumeName(validating: "vol-2")))
    }

    @Test("flag values reach the config")
    func valuesRendered() throws {
        var settings = try Fixtures.settings()
        settings.nfsPort = 20490
        settings.gracePeriod = 30
        settings.leaseLifetime = 20
        settings.nfsAddress = try NetworkAddress(validating: "::1", flag: "nfs-address")
        let main = try Fixtures.templates().renderGanesha(settings).main
        #expect(main.contains("NFS_Port = 20490;"))
        #expect(main.contains("Bind_addr = ::1;"))
        #expect(main.contains("Grace_Period = 30;"))
        #expect(main.contains("Lease_Lifetime = 20;"))
    }

    @Test("the ID-mapping sections appear only when asked for")
    func idmapSections() throws {
        var settings = try Fixtures.settings()
        let plain = try Fixtures.templates().renderGanesha(settings).main
        #expect(!plain.contains("IdmapConf") && !plain.contains("Only_Numeric_Owners"))
        settings.idmapConfig = try SafePath(validating: "/run/sm/v/idmapd.conf", flag: "state-dir")
        settings.numericOwners = true
        let main = try Fixtures.templates().renderGanesha(settings).main
        #expect(main.contains("    IdmapConf = \"/run/sm/v/idmapd.conf\";\n"))
        #expect(main.contains("    Only_Numeric_Owners = true;\n"))
        #expect(!main.contains("{{") && !main.contains("\n\n\n"))
    }

    @Test("a read-only share is exported RO")
    func readOnlyExport() throws {
        var settings = try Fixtures.settings()
        settings.accessType = .readOnly
        let export = try Fixtures.templates().renderGanesha(settings).export
        #expect(export.contains("Access_Type = RO;"))
        #expect(!export.contains("Access_Type = RW;"))
    }

    @Test("a template without the plain-text pragma is refused")
    func pragmaRequired() throws {
        let dir = NSTemporaryDirectory() + "sm-templates-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in TemplateSet.Name.allCases {
            try "Path = {{exportPath}};\n".write(toFile: dir + "/" + name.rawValue, atomically: true, encoding: .utf8)
        }
        #expect(throws: TemplateError.self) { try TemplateSet(directory: dir) }
    }

    @Test("a missing or non-UTF-8 template says which, with the errno of a failed read")
    func unreadableTemplates() throws {
        let missing = #expect(throws: TemplateError.self) { try TemplateSet(directory: "/nonexistent/sm-templates") }
        guard case .unreadable(let path, let errno)? = missing else { Issue.record("got \(String(describing: missing))"); return }
        #expect(path.hasPrefix("/nonexistent/sm-templates/"))
        #expect(errno == .noSuchFileOrDirectory)
        #expect(missing?.description.contains("(No such file or directory)") == true)

        let dir = NSTemporaryDirectory() + "sm-templates-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in TemplateSet.Name.allCases {
            try Data([0x7B, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: dir + "/" + name.rawValue))
        }
        let garbled = #expect(throws: TemplateError.self) { try TemplateSet(directory: dir) }
        guard case .notUTF8? = garbled else { Issue.record("got \(String(describing: garbled))"); return }
    }
}
