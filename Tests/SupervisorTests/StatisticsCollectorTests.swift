import GaneshaControl
@testable import Supervisor
import Testing

/// The supervisor's part of Ganesha's statistics (`StatisticsCollector`): the D-Bus
/// collection and its bound.
@Suite("Ganesha statistics collection: version labels, bounded waits")
struct StatisticsCollectorTests {
    @Test("versions are labelled as people write them")
    func versionLabels() {
        #expect(StatisticsCollector.versionLabel("NFSv41") == "4.1")
        #expect(StatisticsCollector.versionLabel("NFSv40") == "4.0")
        #expect(StatisticsCollector.versionLabel("NFSv3") == "3")
        #expect(StatisticsCollector.versionLabel("NLM4") == "NLM4")
    }

    @Test("protocols that are off give no series: NFSv3 never, NFSv4.0 only with --enable-nfsv40")
    func onlyServedVersions() {
        let since = GaneshaTimestamp(seconds: 1, nanoseconds: 0)
        // What Ganesha 4.3 answers: every protocol it knows, served or not.
        let global = GlobalOperations(counts: ["NFSv3": 0, "NFSv40": 0, "NFSv41": 7, "NFSv42": 3, "NLM4": 0, "MNT": 0], since: since)
        let zero = IOCounters(requested: 0, transferred: 0, operations: 0, errors: 0, latencyNanoseconds: 0)
        let io = ["NFSv3", "NFSv40", "NFSv41"].map {
            ExportProtocolIO(exportID: 1, protocolName: $0, statistics: IOStatistics(read: zero, write: zero, since: since))
        }
        let plain = StatisticsCollector.counters(
            global: global, io: io, clients: 0, epoch: 1, served: StatisticsCollector.servedVersions(nfsv40: false))
        #expect(plain.operations == ["4.1": 7, "4.2": 3])
        #expect(plain.io.map(\.nfsVersion) == ["4.1"])
        let with40 = StatisticsCollector.counters(
            global: global, io: io, clients: 0, epoch: 1, served: StatisticsCollector.servedVersions(nfsv40: true))
        #expect(with40.operations == ["4.0": 0, "4.1": 7, "4.2": 3])
        #expect(with40.io.map(\.nfsVersion) == ["4.0", "4.1"])
    }

    @Test("an address that sent only NULL calls (our readiness probe) is no client; one that used a protocol is")
    func probeIsNoClient() {
        let flags = ["NFSv3", "MNT", "NLMv4", "RQUOTA", "NFSv40", "NFSv41", "NFSv42", "9P"]
        // As a fresh Ganesha 4.3 lists the probe: every flag off, no activity.
        let probe = NFSClientRecord(
            address: "::ffff:127.0.0.1", protocolFlags: Dictionary(uniqueKeysWithValues: flags.map { ($0, false) }),
            lastActivity: GaneshaTimestamp(seconds: 0, nanoseconds: 0))
        var used = Dictionary(uniqueKeysWithValues: flags.map { ($0, false) })
        used["NFSv41"] = true
        let client = NFSClientRecord(address: "::ffff:10.0.0.7", protocolFlags: used, lastActivity: GaneshaTimestamp(seconds: 5, nanoseconds: 0))
        #expect(NFSClients.served([probe, client]) == [client])
        #expect(NFSClients.served([probe]).isEmpty)
    }
}
