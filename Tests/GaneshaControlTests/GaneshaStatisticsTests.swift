import DBusKit
import GaneshaControl
import Testing
import TestSupport

/// Statistics and client listing against a real Ganesha 4.3 before any client connects.
@Suite("Ganesha statistics without clients", .serialized, .timeLimit(.minutes(2)))
struct GaneshaStatisticsTests {
    @Test(.ganeshaParts) func countersDecodeAndAreEmptyBeforeAnyClient() async throws {
        try await withGanesha { ganesha, client in
            _ = try await ganesha.addExport(with: client)
            let global = try await client.globalOperations()
            #expect(global.counts.keys.sorted() == ["MNTv1", "MNTv3", "NFSv3", "NFSv40", "NFSv41", "NFSv42", "NLM4", "RQUOTA"])
            #expect(global.nfsv41 == 0)
            #expect(global.since.seconds > 1_600_000_000)
            #expect(try await client.allExportIO().isEmpty)
            #expect(try await client.showClients().isEmpty)
        }
    }

    @Test(.ganeshaParts) func unknownExportsAndClientsAreRejectedInBand() async throws {
        try await withGanesha { ganesha, client in
            _ = try await ganesha.addExport(with: client)
            let unknown = await rejection { () async throws(GaneshaError) in try await client.exportIO(.v41, exportID: 99) }
            #expect(unknown?.method == "exportstats.GetNFSv41IO")
            #expect(unknown?.name == GaneshaError.inBandFailure)
            #expect(unknown?.message == "Export id not found")
            let idle = await rejection { () async throws(GaneshaError) in try await client.exportIO(.v42, exportID: 1) }
            #expect(idle?.message == "Export does not have any NFSv4.2 activity")
            let nobody = await rejection { () async throws(GaneshaError) in
                try await client.clientIO(.v41, address: "::ffff:10.9.9.9")
            }
            #expect(nobody?.method == "clientstats.GetNFSv41IO")
            #expect(nobody?.message == "Client IP address not found")
        }
    }

    @Test(.ganeshaParts) func statisticsSwitchesReportAndReset() async throws {
        try await withGanesha { _, client in
            let initial = try await client.statisticsStatus()
            #expect(initial.nfs.enabled)
            #expect(!initial.nfsv4Detail.enabled)
            let enabledAt = try await client.enableStatistics(.nfsv4Detail)
            let enabled = try await client.statisticsStatus()
            #expect(enabled.nfsv4Detail.enabled)
            // Ganesha stamps the switch and the reply with two clock readings.
            #expect(enabled.nfsv4Detail.since <= enabledAt)
            #expect(enabledAt.sinceEpoch - enabled.nfsv4Detail.since.sinceEpoch < .seconds(1))
            try await client.disableStatistics(.nfsv4Detail)
            #expect(try await client.statisticsStatus().nfsv4Detail.enabled == false)
            let resetAt = try await client.resetStatistics()
            #expect(resetAt >= initial.nfs.since)
            let countingSince = try await client.globalOperations().since.sinceEpoch
            #expect(countingSince - resetAt.sinceEpoch < .seconds(1) && resetAt.sinceEpoch - countingSince < .seconds(1))
        }
    }
}
