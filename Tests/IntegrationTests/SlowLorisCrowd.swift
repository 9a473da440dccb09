import Foundation
import Synchronization
import TestSupport

/// Slow-loris peers by the hundred: each connection sends a request line, then one header
/// byte a second and never the end of the head; one the server closes is opened again at
/// once. Bounded: never more than `perTarget` open per target, never more than
/// `maxOpens` connections in all, and never past `maxDuration`, whatever the test does.
struct SlowLorisCrowd: Sendable {
    struct Tally: Sendable {
        var opened = 0
        /// Ended by the server: closed, reset, or refused a byte.
        var closedByServer = 0
        var failedConnects = 0

        static func + (a: Tally, b: Tally) -> Tally {
            Tally(opened: a.opened + b.opened, closedByServer: a.closedByServer + b.closedByServer,
                  failedConnects: a.failedConnects + b.failedConnects)
        }
    }

    let targets: [RawHTTP.Target]
    var perTarget = 300
    /// Each thread keeps this many connections.
    var perThread = 100
    var maxOpens = 200_000
    var maxDuration: Duration = .seconds(90)

    static let opening = Array("GET /v1/status HTTP/1.1\r\nHost: share-manager\r\n".utf8)
    static let drip = Array(("X-Slow: " + String(repeating: "s", count: 64)).utf8)

    /// The open files this process needs for the crowd, beyond what it has open already.
    var openFilesNeeded: Int { targets.count * perTarget }

    /// Runs `body` while the crowd is up (every connection opened at least once), then
    /// stops the crowd and returns both.
    func during<T: Sendable>(_ body: @Sendable () async -> T) async -> (T, Tally) {
        let shared = Shared()
        let threads = targets.flatMap { target in
            stride(from: 0, to: perTarget, by: perThread).map { (target, min(perThread, perTarget - $0)) }
        }
        return await withTaskGroup(of: Tally.self) { group in
            for (target, count) in threads {
                group.addTask { await RawHTTP.offPool { hold(target, count: count, shared: shared) } }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while shared.opened.load(ordering: .relaxed) < openFilesNeeded && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            let result = await body()
            shared.stopped.store(true, ordering: .relaxed)
            var total = Tally()
            for await tally in group { total = total + tally }
            return (result, total)
        }
    }

    private final class Shared: Sendable {
        let stopped = Atomic<Bool>(false)
        let opened = Atomic<Int>(0)
    }

    /// One thread's connections, on one target, all blocking calls on this thread.
    private func hold(_ target: RawHTTP.Target, count: Int, shared: Shared) -> Tally {
        var tally = Tally()
        var sockets = [Int32](repeating: -1, count: count)
        var dripped = [Int](repeating: 0, count: count)
        defer { sockets.filter { $0 >= 0 }.forEach { close($0) } }
        let end = ContinuousClock.now + maxDuration
        var nextDrip = ContinuousClock.now + .seconds(1)
        let ended = { (index: Int) in
            close(sockets[index])
            sockets[index] = -1
            tally.closedByServer += 1
        }
        while !shared.stopped.load(ordering: .relaxed) && ContinuousClock.now < end {
            for index in sockets.indices where sockets[index] < 0 && shared.opened.load(ordering: .relaxed) < maxOpens {
                let fd = RawHTTP.connect(target, timeout: .milliseconds(200))
                guard fd >= 0 else { tally.failedConnects += 1; continue }
                _ = Self.opening.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                (sockets[index], dripped[index]) = (fd, 0)
                tally.opened += 1
                shared.opened.add(1, ordering: .relaxed)
            }
            // poll(2) skips the -1 entries, so indices stay those of `sockets`.
            var pollers = sockets.map { pollfd(fd: $0, events: Int16(POLLIN) | pollPeerClosed, revents: 0) }
            let wait = max(0, min(100, Int32((nextDrip - ContinuousClock.now).inSeconds * 1000)))
            if poll(&pollers, nfds_t(pollers.count), wait) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                for index in sockets.indices where sockets[index] >= 0 && pollers[index].revents != 0 {
                    let count = recv(sockets[index], &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    if count == 0 || (count < 0 && errno != EAGAIN) { ended(index) }
                }
            }
            guard ContinuousClock.now >= nextDrip else { continue }
            nextDrip = nextDrip + .seconds(1)
            for index in sockets.indices where sockets[index] >= 0 {
                var byte = Self.drip[dripped[index] % Self.drip.count]
                dripped[index] += 1
                if send(sockets[index], &byte, 1, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) < 0 && errno != EAGAIN { ended(index) }
            }
        }
        return tally
    }
}

/// One kind of request, made every 100 ms on a new connection: how many were answered 200
/// within a second, and how many misses came in a row.
struct ProbeSeries: Sendable {
    let name: String
    var answered = 0
    var missed = 0
    var longestMissRun = 0
    var slowest = Duration.zero
    /// When the slowest answer came, from the first request.
    var slowestAt = Duration.zero
    /// What each miss was, with its time from the first request: a status, "slow" or "none".
    var misses: [String] = []

    var fraction: Double { Double(answered) / Double(max(1, answered + missed)) }
    var summary: String {
        "\(name): \(answered) of \(answered + missed) answered 200 within 1 s, at most \(longestMissRun) missed in a row, slowest answer \(slowest) at +\(slowestAt); misses: \(misses.joined(separator: ", "))"
    }

    static func run(_ name: String, _ target: RawHTTP.Target, _ request: [UInt8], for length: Duration) async -> ProbeSeries {
        await RawHTTP.offPool {
            var series = ProbeSeries(name: name)
            var run = 0
            let start = ContinuousClock.now
            var next = start
            while ContinuousClock.now - start < length {
                let response = RawHTTP.blockingExchange(target, request, timeout: 1)
                if let response, response.status == 200, response.elapsed <= .seconds(1) {
                    series.answered += 1
                    if response.elapsed > series.slowest { (series.slowest, series.slowestAt) = (response.elapsed, ContinuousClock.now - start) }
                    run = 0
                } else {
                    let what = response.map { $0.status == 200 ? "slow (\($0.elapsed))" : String($0.status) } ?? "none"
                    series.misses.append("\(what) at +\(ContinuousClock.now - start)")
                    series.missed += 1
                    run += 1
                    series.longestMissRun = max(series.longestMissRun, run)
                }
                next = next + .milliseconds(100)
                let pause = next - ContinuousClock.now
                if pause > .zero { usleep(UInt32(pause.inSeconds * 1_000_000)) }
            }
            return series
        }
    }
}
