import DBusKit
@testable import GaneshaControl
import Testing

/// Decoding of the statistics shapes, as 4.3 sends them and as its introspection claims.
@Suite struct GaneshaStatisticsDecodingTests {
    static let stamp = DBusValue.structure([.uint64(1_795_310_092), .uint64(241_048_974)])
    static let read = DBusValue.structure([.uint64(10), .uint64(9), .uint64(2), .uint64(1), .uint64(500), .uint64(0)])
    static let write = DBusValue.structure([.uint64(1_048_576), .uint64(1_048_576), .uint64(2), .uint64(0), .uint64(361_048), .uint64(0)])

    @Test func globalOperationsReadTheFlatStructureAndTheIntrospectedArray() throws {
        let flat = DBusValue.structure([.string("NFSv3"), .uint64(0), .string("NFSv41"), .uint64(46)])
        let array = DBusValue.array(elementSignature: "(st)", [
            .structure([.string("NFSv3"), .uint64(0)]), .structure([.string("NFSv41"), .uint64(46)]),
        ])
        #expect(GlobalOperations.counts(wire: flat) == ["NFSv3": 0, "NFSv41": 46])
        #expect(GlobalOperations.counts(wire: array) == GlobalOperations.counts(wire: flat))
        #expect(GlobalOperations.counts(wire: .structure([.string("NFSv3")])) == nil)
        let operations = GlobalOperations(counts: ["NFSv41": 46], since: GaneshaTimestamp(seconds: 1, nanoseconds: 2))
        #expect(operations.nfsv41 == 46)
        #expect(operations.nfsv42 == 0)
    }

    @Test func ioReplyDecodesReadWriteAndSince() throws {
        let reply = GaneshaReply(method: "exportstats.GetNFSv41IO", signature: "(tt)(tttttt)(tttttt)", values: [Self.stamp, Self.read, Self.write])
        let statistics = try IOStatistics(reply: reply)
        #expect(statistics.read == IOCounters(requested: 10, transferred: 9, operations: 2, errors: 1, latencyNanoseconds: 500))
        #expect(statistics.write.transferred == 1_048_576)
        #expect(statistics.since == GaneshaTimestamp(seconds: 1_795_310_092, nanoseconds: 241_048_974))
        #expect(statistics.since.sinceEpoch == .seconds(1_795_310_092) + .nanoseconds(241_048_974))

        let short = GaneshaReply(method: "m", signature: "(tt)", values: [Self.stamp])
        #expect(throws: GaneshaError.unexpectedReply(method: "m", signature: "(tt)")) { try IOStatistics(reply: short) }
    }

    @Test func nfsIOEntriesCarryExportIdAndProtocolName() throws {
        let entry = DBusValue.structure([.uint16(1), .string("NFSv41"), Self.read, Self.write])
        let since = GaneshaTimestamp(seconds: 5, nanoseconds: 0)
        let decoded = try #require(ExportProtocolIO(wire: entry, since: since))
        #expect(decoded.exportID == 1)
        #expect(decoded.protocolName == "NFSv41")
        #expect(decoded.statistics.since == since)
        #expect(ExportProtocolIO(wire: .structure([.uint16(1), .string("x")]), since: since) == nil)
    }

    @Test func statusStatsReadsSixSwitchesInGaneshasOrder() throws {
        let switches: [DBusValue] = (0..<6).map { .structure([.bool($0 == 0 || $0 == 3), Self.stamp]) }
        let status = try StatisticsStatus(reply: GaneshaReply(method: "m", signature: "", values: switches))
        #expect(status.nfs.enabled && status.nfsv4Detail.enabled)
        #expect(!status.fsal.enabled && !status.nfsv3Detail.enabled && !status.auth.enabled && !status.clientAllOperations.enabled)
    }

    @Test func clientRecordAsShowClientsSendsIt() throws {
        let wire = DBusValue.structure([.string("::ffff:127.0.0.1"), GaneshaDecodingTests.flags(["NFSv41"]), Self.stamp])
        let record = try #require(NFSClientRecord(wire: wire))
        #expect(record.address == "::ffff:127.0.0.1")
        #expect(record.activeProtocols == ["NFSv41"])
        #expect(record.lastActivity?.seconds == 1_795_310_092)
        #expect(NFSClientRecord(wire: .structure([.uint16(1)])) == nil)
    }

    @Test func displayExportAcceptsBothIdTypes() throws {
        let rule = DBusValue.structure([
            .string("10.0.0.0/8"), .int32(0), .byte(0), .byte(255), .int32(1), .uint32(1234), .uint32(4_294_967_294),
            .uint32(0), .uint32(53_490_146), .uint32(495),
        ])
        let rest: [DBusValue] = [.string("/srv"), .string("/srv"), .string("tag"), .array(elementSignature: "(siyyiuuuuu)", [rule])]
        let current = try ExportDetails(reply: GaneshaReply(method: "m", signature: "qsssa(siyyiuuuuu)", values: [.uint16(2)] + rest))
        let older = try ExportDetails(reply: GaneshaReply(method: "m", signature: "isssa(siyyiuuuuu)", values: [.int32(2)] + rest))
        #expect(current == older)
        #expect(current.clients == [ExportDetails.ClientRule(match: "10.0.0.0/8", anonymousUID: 1234, anonymousGID: 4_294_967_294, options: 53_490_146)])
    }
}
