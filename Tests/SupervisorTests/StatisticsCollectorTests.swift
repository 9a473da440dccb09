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

    @Test("a deadline returns nil for a late task without waiting for it, and the value of a prompt one")
    func deadline() async {
        let slow = Task { try? await Task.sleep(for: .seconds(30)); return 1 }
        let started = ContinuousClock.now
        #expect(await Deadline.value(of: slow, within: .milliseconds(50)) == nil)
        // Far below the late task's 30 s, with room for a loaded two-core machine.
        #expect(ContinuousClock.now - started < .seconds(15))
        slow.cancel()
        #expect(await Deadline.value(of: Task { 2 }, within: .seconds(5)) == 2)
    }
}
