import DBusKit
import GaneshaControl
import Testing
import TestSupport

/// What the client says when nothing owns Ganesha's name: a bus without Ganesha.
@Suite("GaneshaClient without a Ganesha", .timeLimit(.minutes(1)))
struct GaneshaClientWithoutServerTests {
    @Test(.needs(.tools(["dbus-daemon"])))
    func callsFailWithNotRegistered() async throws {
        let bus = try await PrivateBus.start()
        do {
            let connection = try await DBusConnection.connect(address: bus.address, timeout: .seconds(5))
            defer { connection.close() }
            let client = GaneshaClient(connection: connection, callTimeout: .seconds(2))
            let registered = try await client.isRegistered()
            #expect(!registered)
            await #expect(throws: GaneshaError.notRegistered) { try await client.showExports() }
        } catch {
            await bus.stop()
            throw error
        }
        await bus.stop()
    }
}
