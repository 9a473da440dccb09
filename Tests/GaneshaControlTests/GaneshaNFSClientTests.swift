import DBusKit
import GaneshaControl
import Testing
import TestSupport

/// What Ganesha reports once a real NFSv4.1 client (nfs-rs) has written through an export.
@Suite("Ganesha statistics with an NFSv4.1 client", .serialized, .timeLimit(.minutes(2)))
struct GaneshaNFSClientTests {
    static let size = 1_048_576

    @Test(.nfsClientParts) func clientIsListedAndCountersRiseAfterAWrite() async throws {
        try await withGanesha { ganesha, client in
            _ = try await ganesha.addExport(with: client)
            #expect(try await client.showClients().isEmpty)
            let before = try await client.globalOperations()

            let written = try NFSTestClient.write(port: ganesha.port, pseudo: "/vol", file: "stats.bin", size: Self.size)
            try #require(written.status == 0, "nfs_client failed: \(written.stderr)")

            let clients = try await client.showClients()
            let record = try #require(clients.first { $0.address == "::ffff:127.0.0.1" }, "clients: \(clients)")
            #expect(record.activeProtocols == ["NFSv41"])
            #expect(record.lastActivity != nil)

            let exportIO = try await client.exportIO(.v41, exportID: 1)
            #expect(exportIO.write.transferred >= UInt64(Self.size))
            #expect(exportIO.write.operations >= 1)
            #expect(exportIO.write.errors == 0)
            #expect(exportIO.write.latencyNanoseconds > 0)

            let listed = try await client.allExportIO()
            let entry = try #require(listed.first { $0.exportID == 1 && $0.protocolName == "NFSv41" })
            #expect(entry.statistics.write == exportIO.write)

            let clientIO = try await client.clientIO(.v41, address: record.address)
            #expect(clientIO.write.transferred >= UInt64(Self.size))
            #expect(try await client.globalOperations().nfsv41 > before.nfsv41)
            #expect(try await client.showExports().first { $0.id == 1 }?.activeProtocols == ["NFSv41"])
        }
    }
}
