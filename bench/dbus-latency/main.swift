// Round-trip latency of Ganesha D-Bus calls through GaneshaControl.
//
// Starts a private bus and a Ganesha with one export (both in a temporary directory, both
// killed at the end), then times 1000 ShowExports and 1000 GetNFSv41IO(export 1) calls and
// prints the median and p99 in microseconds. Needs root, dbus-daemon and ganesha.nfsd.
//
//   swift build -c release --product dbus-latency-bench && .build/release/dbus-latency-bench [calls]
import DBusKit
import Foundation
import GaneshaControl

let calls = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1000
let servers = try await BenchServers.start()
defer { servers.stop() }

let connection = try await DBusConnection.connect(address: servers.busAddress, timeout: .seconds(5))
let client = GaneshaClient(connection: connection)
try await servers.waitForGanesha(client)
_ = try await client.addExport(configPath: servers.exportFile, exportID: 1)
let written = try servers.writeOnce()

func measure(_ name: String, _ call: () async throws -> Void) async throws {
    for _ in 0..<50 { try await call() }  // warm-up: first calls pay for page faults and lazy setup
    var samples: [Duration] = []
    samples.reserveCapacity(calls)
    for _ in 0..<calls {
        let started = ContinuousClock.now
        try await call()
        samples.append(ContinuousClock.now - started)
    }
    samples.sort()
    func microseconds(_ quantile: Double) -> Int {
        let sample = samples[min(samples.count - 1, Int(Double(samples.count) * quantile))]
        return Int(sample / .microseconds(1))
    }
    print("\(name): \(calls) calls, median \(microseconds(0.5)) µs, p99 \(microseconds(0.99)) µs")
}

// The floor: the same connection asking the bus daemon itself, with no Ganesha in the path.
try await measure("baseline org.freedesktop.DBus.GetId") {
    _ = try await connection.call(
        destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
        method: "GetId", timeout: .seconds(5)
    )
}
try await measure("ShowExports") { _ = try await client.showExports() }
// Without a client write (no venv) Ganesha refuses in-band: still one full round trip.
try await measure(written ? "GetNFSv41IO(1)" : "GetNFSv41IO(1), refused: no NFSv4.1 activity") {
    do {
        _ = try await client.exportIO(.v41, exportID: 1)
    } catch GaneshaError.rejected(_, GaneshaError.inBandFailure, _) where !written {}
}
connection.close()
