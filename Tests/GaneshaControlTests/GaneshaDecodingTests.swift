import DBusKit
@testable import GaneshaControl
import Testing

/// Decoding and error mapping, without a server.
@Suite struct GaneshaDecodingTests {
    static func flags(_ on: Set<String> = []) -> DBusValue {
        let names = ["NFSv3", "MNT", "NMLv4", "RQUOTA", "NFSv40", "NFSv41", "NFSv42", "9P"]
        return .structure(names.map { .structure([.string($0), .bool(on.contains($0))]) })
    }

    @Test func exportEntryAsGanesha43SendsIt() throws {
        let wire = DBusValue.structure([
            .uint16(1), .string("/srv/data"), Self.flags(["NFSv41", "NFSv42"]), .structure([.uint64(5), .uint64(6)]),
        ])
        let export = try #require(GaneshaExport(wire: wire))
        #expect(export.id == 1)
        #expect(export.path == "/srv/data")
        #expect(export.activeProtocols == ["NFSv41", "NFSv42"])
        #expect(export.protocolFlags.count == 8)
    }

    @Test func exportEntryWithoutFlagsStillDecodes() throws {
        let export = try #require(GaneshaExport(wire: .structure([.uint16(7), .string("/x"), .bool(true)])))
        #expect(export.id == 7)
        #expect(export.protocolFlags.isEmpty)
    }

    @Test func exportEntryOfAnotherShapeIsRefused() {
        #expect(GaneshaExport(wire: .structure([.string("/x"), .uint16(7)])) == nil)
        #expect(GaneshaExport(wire: .uint16(1)) == nil)
    }

    @Test func transportErrorsMapToWhatToDoNext() {
        let timeout = GaneshaError(DBusError(name: DBusError.Name.timeout, message: "late"), method: "admin.get_grace")
        #expect(timeout == .timedOut(method: "admin.get_grace"))
        let gone = GaneshaError(DBusError(name: DBusError.Name.disconnected, message: "bus died"), method: "m")
        #expect(gone == .disconnected("bus died"))
        let unknown = GaneshaError(DBusError(name: DBusError.Name.serviceUnknown, message: "no owner"), method: "m")
        #expect(unknown == .notRegistered)
        let invalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
        let refused = GaneshaError(
            DBusError(name: invalidArgs, message: "lookup_export failed"), method: "exportmgr.RemoveExport")
        #expect(refused == .rejected(method: "exportmgr.RemoveExport", name: invalidArgs, message: "lookup_export failed"))
        #expect(refused.description.contains("lookup_export failed"))
        #expect(!GaneshaError.rejected(method: "m", name: "n", message: "a\nb").description.contains("\n"))
    }
}
