import DBusKit
import Foundation
import TestSupport

/// Emits a signal on the bus at `address` with dbus-send, as another peer would.
///
/// `--system` with the address in the environment, not `--address`: the latter skips Hello,
/// and the bus drops what an unregistered connection sends.
/// With a `destination`, the signal is sent to that connection alone instead of broadcast.
func emitSignal(
    address: String, destination: String? = nil, path: String = "/share_manager/test", member: String, text: String
) throws {
    var environment = ProcessInfo.processInfo.environment
    environment["DBUS_SYSTEM_BUS_ADDRESS"] = address
    let target = destination.map { ["--dest=\($0)"] } ?? []
    let result = try runCommand(
        ["dbus-send", "--system", "--type=signal"] + target + [path, "share_manager.Test.\(member)", "string:\(text)"],
        environment: environment)
    guard result.status == 0 else { throw FixtureError("dbus-send failed: \(result.stderr)") }
}

extension DBusConnection {
    /// How many connections the bus has now (unique names), ours included.
    func connectionCount() async throws -> Int {
        try await uniqueNames().count
    }

    /// The unique names of the connections the bus has now, ours included.
    func uniqueNames() async throws -> Set<String> {
        let names = try await callBus("ListNames").values.first?.elements?.compactMap(\.string) ?? []
        return Set(names.filter { $0.hasPrefix(":") })
    }
}
