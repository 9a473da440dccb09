import DBusKit
import Foundation
import GaneshaControl
import Testing
import TestSupport

/// Heartbeats, and what a stopped Ganesha or a dead bus does to calls and beats.
@Suite("Ganesha heartbeats and failures", .serialized, .timeLimit(.minutes(2)))
struct GaneshaHeartbeatTests {
    @Test(.ganeshaParts) func beatsArriveAboutOnceASecondAndTheMonitorRecordsThem() async throws {
        try await withGanesha { _, client in
            let monitor = HeartbeatMonitor(client: client)
            #expect(monitor.lastBeat == nil)
            #expect(!monitor.isBeating(within: .seconds(10)))
            let running = Task { try await monitor.run() }
            defer { running.cancel() }

            let stream = try await client.heartbeats()
            // Beats travel on their own connection, so one sent before the last reply may be
            // read after it: the window runs well past that reply.
            async let collected = collect(stream, for: .seconds(10))
            let firstAsked = ContinuousClock.now
            let first = try await replySerial(client)
            let firstAnswered = ContinuousClock.now
            try await Task.sleep(for: .seconds(4))
            let lastAsked = ContinuousClock.now
            let last = try await replySerial(client)
            let lastAnswered = ContinuousClock.now
            let beats = await collected.elements

            // Counted by when Ganesha sent them (serials between its two replies), not by when
            // this process read them: on a loaded machine a reader thread can stall and then
            // read two beats at once, or a sleep can end seconds late (CI saw both fail
            // receive-time versions of this test). The replies went out at least `atLeast`
            // and at most `atMost` seconds apart.
            let sent = beats.filter { $0.serial > first && $0.serial < last }.count
            let atLeast = (lastAsked - firstAnswered).inSeconds
            let atMost = (lastAnswered - firstAsked).inSeconds
            // About one a second: half that rate rules out a stall, one more than the seconds
            // (plus an edge) rules out bursts; 2 a second would give twice the seconds.
            #expect(sent >= Int(atLeast / 2) && sent <= Int(atMost) + 2, "\(sent) beats in \(atLeast)...\(atMost) s")
            let unhealthy = beats.filter { !$0.healthy }
            #expect(unhealthy.isEmpty)
            #expect(monitor.beatCount >= 3)
            #expect(monitor.isBeating(within: .seconds(3)))
            running.cancel()
            // Cancelled, run() returns rather than reporting a lost bus.
            try await running.value
        }
    }

    @Test(.ganeshaParts) func stoppedGaneshaTimesOutCallsAndStopsBeatingUntilContinued() async throws {
        try await withGanesha(callTimeout: .seconds(1)) { ganesha, client in
            let beats = try await client.heartbeats()
            // Long enough for the worst case of the steps below (a first beat within 5 s, up to
            // 5 s settling, a call bounded near 2.4 s, 4 s stopped) plus several beats after SIGCONT.
            async let collected = collect(beats, for: .seconds(22))
            // A beat before the stop, seen on a second subscription: the window's own stream,
            // subscribed first, has it too.
            let early = await firstElement(of: try await client.heartbeats(), within: .seconds(5))
            try #require(early != nil, "no heartbeat within 5 s of the start")

            // Ganesha numbers its replies and signals from one counter, so this reply, received
            // before SIGSTOP was sent, marks what Ganesha sent before the stop.
            let beforeStop = try await replySerial(client)
            ganesha.process.signal(SIGSTOP)
            // Whatever happens below, never leave a stopped Ganesha for the fixture to stop.
            defer { ganesha.process.signal(SIGCONT) }
            // SIGSTOP reaches every thread only eventually; wait until the kernel says each one
            // is stopped before timing the call.
            let stopped = await SocketProbe.waitUntil(timeout: .seconds(5)) { isStopped(ganesha.process.pid) }
            try #require(stopped, "Ganesha's threads not all stopped 5 s after SIGSTOP")
            let stoppedAt = ContinuousClock.now
            let error = await #expect(throws: GaneshaError.self) { try await client.showExports() }
            let waited = ContinuousClock.now - stoppedAt
            try await Task.sleep(for: .seconds(4))
            ganesha.process.signal(SIGCONT)
            // Sent after SIGCONT: a stopped Ganesha sends nothing, this reply included.
            let afterContinue = try await replySerial(client)

            #expect(error == .timedOut(method: "exportmgr.ShowExports"))
            // Bounded by its 1 s timeout, plus scheduling slack on a loaded two-core machine (a CI
            // run saw 2.98 s beside the whole suite): a call that ignored its bound would never
            // return, since SIGCONT comes only after it does.
            #expect(waited >= .seconds(1) && waited <= .milliseconds(3_500), "timed out after \(waited)")
            // Counted by when Ganesha sent them, not when this loaded process read them (a beat
            // read seconds late once failed a receive-time version of this test in CI).
            let serials = await collected.elements.map(\.serial)
            #expect(serials.contains { $0 < beforeStop }, "no beat before SIGSTOP: \(serials), reply \(beforeStop)")
            #expect(serials.contains { $0 > afterContinue }, "no beat after SIGCONT: \(serials), reply \(afterContinue)")
            // Between the two replies lie at least 5.3 s, nearly all of them stopped: a Ganesha
            // beating while stopped sends five or more there. One fits before the stop takes
            // hold, one more when a loaded machine delivers SIGSTOP late (seen with two suites
            // at once on two cores), and one overdue beat may go out on SIGCONT.
            let between = serials.filter { $0 > beforeStop && $0 < afterContinue }
            #expect(between.count <= 3, "\(between.count) beats sent between replies \(beforeStop) and \(afterContinue)")
            // The calls that timed out leave the connection usable.
            #expect(try await client.showExports().contains { $0.id == 0 })
        }
    }

    /// The serial of a reply from Ganesha to a plain ShowExports.
    private func replySerial(_ client: GaneshaClient) async throws -> UInt32 {
        try await client.connection.call(
            destination: client.busName, path: "/org/ganesha/nfsd/ExportMgr", interface: "org.ganesha.nfsd.exportmgr",
            method: "ShowExports", arguments: [], timeout: .seconds(5)
        ).serial
    }

    @Test(.ganeshaParts) func killedBusEndsBeatsAndFailsCallsWithDisconnected() async throws {
        try await withGanesha(callTimeout: .seconds(2)) { ganesha, client in
            let monitor = HeartbeatMonitor(client: client)
            async let monitorEnded: GaneshaError? = {
                do throws(GaneshaError) {
                    try await monitor.run()
                    return nil
                } catch {
                    return error
                }
            }()
            let beats = try await client.heartbeats()
            // A window well beyond the 8 s bound below, so that the bound is a check of its own.
            async let collected = collect(beats, for: .seconds(30))
            // The bus dies under a subscription that beats: one beat seen first, on a second one.
            let early = await firstElement(of: try await client.heartbeats(), within: .seconds(10))
            try #require(early != nil, "no heartbeat within 10 s of the start")
            let killedAt = ContinuousClock.now
            await ganesha.bus.kill()

            let result = await collected
            #expect(result.finished, "the heartbeat stream did not end with the bus")
            // With room for the whole suite sharing two cores.
            #expect(ContinuousClock.now - killedAt < .seconds(8))
            // Timed from the call, not the kill: the stream's end may be read late under load,
            // but a call on a dead connection must fail at once, well inside its 2 s timeout.
            let calledAt = ContinuousClock.now
            let callError = await #expect(throws: GaneshaError.self) { try await client.showExports() }
            guard case .disconnected = callError else {
                Issue.record("expected .disconnected, got \(String(describing: callError))")
                return
            }
            #expect(ContinuousClock.now - calledAt < .seconds(1))
            guard case .disconnected = await monitorEnded else {
                Issue.record("HeartbeatMonitor.run() did not report the lost bus")
                return
            }
        }
    }
}

/// True when /proc says the process is stopped (state T).
/// True when every thread of `pid` is stopped (state T in /proc/<pid>/task/*/status).
private func isStopped(_ pid: Int32) -> Bool {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return !tasks.isEmpty && tasks.allSatisfy { task in
        let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").contains { $0.hasPrefix("State:") && $0.contains("T") }
    }
}
