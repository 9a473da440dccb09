import DBusKit
import Testing
import TestSupport

extension Trait where Self == ConditionTrait {
    /// A bus daemon to start (no root needed); see ``RealParts``.
    static var busParts: Self { .needs(.tools(["dbus-daemon"])) }
}

/// Runs `body` with a fresh private bus and a connection to it; stops the bus by PID
/// whatever `body` does.
func withBus(
    extraPolicy: String? = nil, _ body: (PrivateBus, DBusConnection) async throws -> Void
) async throws {
    let bus = try await PrivateBus.start(extraPolicy: extraPolicy)
    do {
        let connection = try await DBusConnection.connect(address: bus.address, timeout: .seconds(5))
        defer { connection.close() }
        try await body(bus, connection)
    } catch {
        await bus.stop()
        throw error
    }
    await bus.stop()
}

/// The bus daemon's own object, which every test can call.
extension DBusConnection {
    func callBus(
        _ method: String, _ arguments: [DBusArgument] = [], timeout: Duration = .seconds(5)
    ) async throws(DBusError) -> DBusReply {
        try await call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: method, arguments: arguments, timeout: timeout)
    }
}
