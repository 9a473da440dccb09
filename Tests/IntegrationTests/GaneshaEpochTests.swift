import Foundation
import Testing
import TestSupport

/// Ganesha builds its client and session ids from its epoch, by default its start time in
/// whole seconds. Two Ganeshas of one volume must never share one, or a client reconnecting
/// after a crash presents an old session id that the new instance has given to someone else.
@Suite("Ganesha's epoch across restarts and failovers", .serialized, .timeLimit(.minutes(3)))
struct GaneshaEpochTests {
    @Test("a Ganesha restarted in place within the second it started gets a later epoch", .realParts())
    func restartWithinOneSecond() async throws {
        try await withImage(prefix: "sm-epoch") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-epoch", dir: dir, image: image)
            try await Self.formatOnce(sm)
            // The first in-place restart is immediate, so both start within the same second.
            try await Self.sleepUntilNextSecond()
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                let killed = try await Self.servedGanesha(sm, process)
                #expect(kill(killed, SIGKILL) == 0)
                // /readyz may still answer 200 for the killed one: first see its successor.
                let second = try #require(await sm.waitForNewGanesha(replacing: killed, timeout: .seconds(30)), "Ganesha was not restarted:\n\(process.output)")
                try #require(await sm.waitUntilReady(process, timeout: .seconds(30)), "not ready after the restart:\n\(process.output)")
                let epochs = Self.epochs(in: process.output)
                try Self.expectLater(epochs[second], than: epochs[killed], process.output)
            }
        }
    }

    @Test("a fresh instance started within the second the last Ganesha started gets a later epoch", .realParts())
    func failoverWithinOneSecond() async throws {
        try await withImage(prefix: "sm-epoch2") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-epoch2", dir: dir, image: image)
            let nodeB = try sm.onAnotherNode("node-b")
            defer { SystemState.forceCleanup(mountPoint: nodeB.mountPoint, image: image) }
            try await Self.formatOnce(sm)
            try await Self.sleepUntilNextSecond()
            let first = try sm.start(name: "node-a")
            let killed = try await stoppingAfterwards(first) {
                let pid = try await Self.servedGanesha(sm, first)
                first.signal(SIGKILL)  // its Ganesha dies with it
                _ = await first.wait(timeout: .seconds(10))
                return pid
            }
            SystemState.forceCleanup(mountPoint: sm.mountPoint, image: image)
            let second = try nodeB.start(name: "node-b")
            try await stoppingAfterwards(second) {
                try #require(await nodeB.waitUntilReady(second), "node B never ready:\n\(second.output)")
                let before = Self.epochs(in: first.output)[killed]
                try Self.expectLater(Self.epochs(in: second.output)[try nodeB.ganeshaPid()], than: before, second.output)
            }
        }
    }

    /// The first start formats, which takes long; the runs that count start fast.
    private static func formatOnce(_ sm: ShareManagerUnderTest) async throws {
        let format = try sm.start(name: "format")
        try await stoppingAfterwards(format) {
            try #require(await sm.waitUntilReady(format), "never ready:\n\(format.output)")
            format.signal(SIGTERM)
            #expect(await format.wait(timeout: .seconds(15)) == 0)
        }
    }

    private static func sleepUntilNextSecond() async throws {
        let fraction = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
        try await Task.sleep(for: .milliseconds(Int((1 - fraction) * 1000) + 20))
    }

    /// Ganesha's pid as soon as the volume is served (a death before that fails the start).
    private static func servedGanesha(_ sm: ShareManagerUnderTest, _ process: ChildProcess) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(20)
        while await sm.get("/readyz").status != 200 && ContinuousClock.now < deadline && process.isRunning {
            try await Task.sleep(for: .milliseconds(5))
        }
        let pid = try sm.ganeshaPid()
        print("Ganesha \(pid) served; \(Int(Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1) * 1000)) ms into the second")
        return pid
    }

    private static func expectLater(_ after: UInt32?, than before: UInt32?, _ output: String) throws {
        let before = try #require(before, "no epoch logged by the first Ganesha")
        let after = try #require(after, "no epoch logged by the second Ganesha:\n\(output)")
        print("epoch \(String(before, radix: 16)), then \(String(after, radix: 16))")
        #expect(after > before, "the second Ganesha reuses or goes back on the epoch: \(before) then \(after)")
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
