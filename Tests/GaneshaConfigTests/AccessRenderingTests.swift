import GaneshaConfig
import Testing

@Suite("Rendering who may reach the export")
struct AccessRenderingTests {
    static func restricted() throws -> GaneshaSettings {
        var settings = try Fixtures.settings()
        settings.allowedClients = try ClientList.parse("10.0.0.0/8, FD00::/8, 192.168.1.7, nfs-client.example.com")
        settings.squash = .rootSquash
        settings.anonymousUID = try AnonymousID(validating: "12345", flag: "anonymous-uid")
        settings.anonymousGID = try AnonymousID(validating: "23456", flag: "anonymous-gid")
        return settings
    }

    @Test("an export with a client list matches its golden file")
    func clientListGolden() throws {
        let rendered = try Fixtures.templates().renderGanesha(Self.restricted())
        #expect(rendered.export == (try Fixtures.golden("export-clients.conf")))
    }

    @Test("with a list, the EXPORT admits nobody and the CLIENT block carries the access type")
    func readOnlyList() throws {
        var settings = try Self.restricted()
        settings.accessType = .readOnly
        let export = try Fixtures.templates().renderGanesha(settings).export
        #expect(export.contains("    Access_Type = None;\n"))
        #expect(export.contains("        Access_Type = RO;\n"))
        #expect(!export.contains("RW;"))
        #expect(export.components(separatedBy: "CLIENT {").count == 2)
        #expect(export.components(separatedBy: "EXPORT {").count == 2)
    }

    @Test("without a list: no CLIENT block, squash and anonymous ids in the EXPORT")
    func squashWithoutList() throws {
        var settings = try Fixtures.settings()
        settings.squash = .allSquash
        settings.anonymousUID = try AnonymousID(validating: "0", flag: "anonymous-uid")
        let export = try Fixtures.templates().renderGanesha(settings).export
        #expect(export.contains("    Access_Type = RW;\n    Squash = All_Squash;\n    Anonymous_Uid = 0;\n    Protocols = 4;\n"))
        #expect(!export.contains("CLIENT") && !export.contains("Anonymous_Gid") && !export.contains("None"))
    }

    @Test("every squash value renders as Ganesha spells it", arguments: [
        (GaneshaSettings.Squash.noRootSquash, "No_Root_Squash"), (.rootSquash, "Root_Squash"), (.allSquash, "All_Squash"),
    ])
    func squashSpelling(_ squash: GaneshaSettings.Squash, _ spelled: String) throws {
        var settings = try Self.restricted()
        settings.squash = squash
        let export = try Fixtures.templates().renderGanesha(settings).export
        #expect(export.components(separatedBy: "Squash = \(spelled);").count == 3)
    }

    @Test("nothing is left unrendered, and no blank lines appear")
    func clean() throws {
        for settings in [try Fixtures.settings(), try Self.restricted()] {
            let export = try Fixtures.templates().renderGanesha(settings).export
            #expect(!export.contains("{{") && !export.contains("\n\n"))
        }
    }
}
