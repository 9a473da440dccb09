import DBusKit
import Foundation
import Testing
import TestSupport

/// Timeouts and a dying bus: the failures share-manager must survive.
@Suite("DBusConnection when the other side fails", .timeLimit(.minutes(1)))
struct DBusFailureTests {
    static let silentName = "share_manager.test.Silent"

    /// Lets a second connection own a name that nobody will ever answer for.
    static let silentPolicy = """
        <policy context="default">
          <allow own="\(silentName)"/>
          <allow send_destination="\(silentName)"/>
        </policy>
        """

    /// A connection that owns `silentName` and never reads its calls.
    static func silentPeer(on bus: PrivateBus) async throws -> DBusConnection {
        let peer = try await DBusConnection.connect(address: bus.address, timeout: .seconds(5))
        let reply = try await peer.callBus("RequestName", [.string(silentName), .uint32(0)])
        try #require(reply.values.first?.uint32 == 1, "RequestName answered \(reply.values)")
        return peer
    }

    /// Lets `monitor(_:member:)` become a monitor, which the production policy refuses.
    static let monitorPolicy = """
        <policy context="default">
          <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
        </policy>
        """

    /// `dbus-monitor` on `bus`, for method calls named `member`, once it monitors (it prints
    /// NameLost when it gives up its name to become a monitor).
    static func monitor(_ bus: PrivateBus, member: String) async throws -> ChildProcess {
        let executable = try #require(TestEnvironment.which("dbus-monitor"))
        let monitor = try ChildProcess(
            [executable, "--address", bus.address, "type='method_call',member='\(member)'"],
            logDirectory: bus.directory.path, name: "monitor-\(member)")
        guard await SocketProbe.waitUntil(timeout: .seconds(10), { monitor.printed("member=NameLost") }) else {
            await monitor.stop(grace: .zero)
            throw FixtureError("dbus-monitor did not start monitoring:\n\(monitor.output)")
        }
        return monitor
    }

    @Test(.busParts) func callToANameThatNeverAnswersTimesOut() async throws {
        try await withBus(extraPolicy: Self.silentPolicy) { bus, connection in
            let peer = try await Self.silentPeer(on: bus)
            defer { peer.close() }
            let started = ContinuousClock.now
            let error = await #expect(throws: DBusError.self) {
                try await connection.call(
                    destination: Self.silentName, path: "/", interface: "share_manager.Test", method: "Hang",
                    timeout: .milliseconds(200))
            }
            let elapsed = ContinuousClock.now - started
            #expect(error?.name == DBusError.Name.timeout)
            #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(3))
            // The connection stays usable after a timeout.
            let stillUsable = try await connection.nameHasOwner(Self.silentName, timeout: .seconds(5))
            #expect(stillUsable)
        }
    }

    @Test(.needs(.tools(["dbus-daemon", "dbus-monitor"]))) func killedBusGivesAnErrorAndTheProcessLives() async throws {
        try await withBus(extraPolicy: Self.silentPolicy + Self.monitorPolicy) { bus, connection in
            let peer = try await Self.silentPeer(on: bus)
            defer { peer.close() }
            // One call is in flight when the bus dies; it must end long before its timeout.
            // In flight means routed by the bus, which a monitor on the bus sees.
            let monitor = try await Self.monitor(bus, member: "Hang")
            let pending = Task {
                try await connection.call(
                    destination: Self.silentName, path: "/", interface: "share_manager.Test", method: "Hang",
                    timeout: .seconds(30))
            }
            let routed = await SocketProbe.waitUntil(timeout: .seconds(10)) { monitor.printed("member=Hang") }
            // It only watches: no need to wait for it to end by itself.
            await monitor.stop(grace: .zero)
            try #require(routed, "the bus never routed the call:\n\(monitor.output)")
            let started = ContinuousClock.now
            await bus.kill()
            let inFlight = await #expect(throws: DBusError.self) { try await pending.value }
            #expect(inFlight?.isDisconnected == true)
            #expect(ContinuousClock.now - started < .seconds(10))

            // libdbus's default would have exit()ed by now; we are still here, and so is the error.
            try await Task.sleep(for: .milliseconds(500))
            let next = await #expect(throws: DBusError.self) {
                try await connection.nameHasOwner("org.freedesktop.DBus", timeout: .seconds(2))
            }
            #expect(next?.isDisconnected == true)
            #expect(next?.description.contains("share_manager.Disconnected") == true)
        }
    }

    @Test(.busParts) func closedConnectionRefusesCalls() async throws {
        try await withBus { _, connection in
            connection.close()
            let error = await #expect(throws: DBusError.self) { try await connection.callBus("GetId") }
            #expect(error?.isDisconnected == true)
        }
    }
}
