import DBusKit
import Foundation
import GaneshaControl
import Testing
import TestSupport

/// DisplayExport and UpdateExport against a real Ganesha 4.3, error paths included.
@Suite("Ganesha export manager", .serialized, .timeLimit(.minutes(2)))
struct GaneshaExportManagerTests {
    @Test(.ganeshaParts) func displayedExportCarriesItsPathTagAndClientRules() async throws {
        try await withGanesha { ganesha, client in
            let export = try ganesha.writeExport()
            let withClients = try String(contentsOfFile: export.file, encoding: .utf8).replacingOccurrences(
                of: "FSAL { Name = VFS; }",
                with: "Tag = vol1;\n FSAL { Name = VFS; }\n CLIENT { Clients = 10.0.0.0/8; Access_Type = RO; Anonymous_Uid = 1234; }")
            try withClients.write(toFile: export.file, atomically: true, encoding: .utf8)
            _ = try await client.addExport(configPath: export.file, exportID: 1)

            let details = try await client.displayExport(id: 1)
            #expect(details.id == 1)
            #expect(details.path == export.path)
            // 4.3 sends Path, not Pseudo, in the second path field (DESIGN.md §2).
            #expect(details.exportPath == export.path)
            #expect(details.tag == "vol1")
            let rule = try #require(details.clients.first)
            #expect(details.clients.count == 1)
            #expect(rule.match == "10.0.0.0/8")
            #expect(rule.anonymousUID == 1234)

            let root = try await client.displayExport(id: 0)
            #expect(root.path == "/")
            #expect(root.clients.isEmpty)
        }
    }

    @Test(.ganeshaParts) func displayingAnUnknownExportIsRejected() async throws {
        try await withGanesha { _, client in
            let refusal = await rejection { () async throws(GaneshaError) in try await client.displayExport(id: 99) }
            #expect(refusal?.name == "org.freedesktop.DBus.Error.InvalidArgs")
            #expect(refusal?.message.contains("Export id not found") == true)
        }
    }

    @Test(.ganeshaParts) func updateChangesTheActiveExportAndNeedsOneThatExists() async throws {
        try await withGanesha { ganesha, client in
            let export = try await ganesha.addExport(with: client)
            #expect(try await client.displayExport(id: 1).clients.isEmpty)
            // Client rules can change on a live export (its Tag, Path or Pseudo cannot).
            let updated = try String(contentsOfFile: export.file, encoding: .utf8).replacingOccurrences(
                of: "FSAL { Name = VFS; }", with: "FSAL { Name = VFS; }\n CLIENT { Clients = 192.168.0.0/16; Access_Type = RO; }")
            try updated.write(toFile: export.file, atomically: true, encoding: .utf8)
            let answer = try await client.updateExport(configPath: export.file, exportID: 1)
            #expect(answer.contains("1 exports updated"))
            #expect(try await client.displayExport(id: 1).clients.map(\.match) == ["192.168.0.0/16"])

            let missing = await rejection { () async throws(GaneshaError) in
                try await client.updateExport(configPath: export.file, exportID: 5)
            }
            #expect(missing?.method == "exportmgr.UpdateExport")
            #expect(missing?.message.contains("export(export_id=5)") == true)
        }
    }

    @Test(.ganeshaParts) func removingThePseudoRootOrAMissingFileIsRejected() async throws {
        try await withGanesha { ganesha, client in
            let root = await rejection { () async throws(GaneshaError) in try await client.removeExport(id: 0) }
            #expect(root?.message.contains("Cannot remove export with id 0") == true)
            let missing = await rejection { () async throws(GaneshaError) in
                try await client.addExport(configPath: ganesha.directory.file("missing.conf"), exportID: 1)
            }
            #expect(missing?.name == "org.freedesktop.DBus.Error.InvalidArgs")
            #expect(missing?.message.contains("No such file or directory") == true)
        }
    }
}
