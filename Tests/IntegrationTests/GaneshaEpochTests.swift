import Foundation
import Testing
import TestSupport

/// Ganesha builds its client and session ids from its epoch, by default its start time in
/// whole seconds. Two Ganeshas of one volume must never share one, or a client reconnecting
/// after a crash presents an old session id that the new instance has given to someone else.
@Suite("Ganesha's epoch across in-place restarts", .serialized, .timeLimit(.minutes(3)))
struct GaneshaEpochTests {
    @Test("a Ganesha restarted within the second it started gets a later epoch")
    func restartWithinOneSecond() async throws {
        guard realPartsAvailable("restartWithinOneSecond") else { return }
        try await withImage(prefix: "sm-epoch") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-epoch", dir: dir, image: image)
            // Formatted once first, so that the run below starts in tens of milliseconds.
            let format = try sm.start(name: "format")
            try await stoppingAfterwards(format) {
                try #require(await sm.waitUntilReady(format), "never ready:\n\(format.output)")
                format.signal(SIGTERM)
                #expect(await format.wait(timeout: .seconds(15)) == 0)
            }
            // Start just after a second begins and kill the first Ganesha the moment the volume
            // is served (a death before that fails the start instead); the first restart is
            // immediate, so both start within the same second.
            let fraction = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
            try await Task.sleep(for: .milliseconds(Int((1 - fraction) * 1000) + 20))
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                let deadline = ContinuousClock.now + .seconds(20)
                while await sm.get("/readyz").status != 200 && ContinuousClock.now < deadline && process.isRunning {
                    try await Task.sleep(for: .milliseconds(5))
                }
                let killed = try sm.ganeshaPid()
                #expect(kill(killed, SIGKILL) == 0)
                let gap = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
                print("first Ganesha killed \(Int(gap * 1000)) ms into the second it started in")
                try await Task.sleep(for: .milliseconds(300))
                try #require(await sm.waitUntilReady(process, timeout: .seconds(30)), "not ready after the restart:\n\(process.output)")
                let second = try sm.ganeshaPid()
                #expect(second != killed)
                let epochs = Self.epochs(in: process.output)
                let before = try #require(epochs[killed], "no epoch logged by the first Ganesha:\n\(process.output)")
                let after = try #require(epochs[second], "no epoch logged by the second Ganesha:\n\(process.output)")
                print("Ganesha \(killed) epoch \(String(before, radix: 16)), restarted as \(second) epoch \(String(after, radix: 16))")
                #expect(after > before, "the restarted Ganesha reuses or goes back on the epoch: \(before) then \(after)")
            }
        }
    }

    /// Ganesha's log lines carry `epoch <hex> : <host> : ganesha.nfsd-<pid>[...]`.
    static func epochs(in output: String) -> [Int32: UInt32] {
        var found: [Int32: UInt32] = [:]
        for match in output.matches(of: /epoch ([0-9a-f]+) : [^:]* : ganesha\.nfsd-([0-9]+)\[/) {
            if let pid = Int32(match.2), let epoch = UInt32(match.1, radix: 16) { found[pid] = epoch }
        }
        return found
    }
}
