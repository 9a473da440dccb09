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

}
