import DBusKit
import Foundation
import TestSupport

/// Emits a signal on the bus at `address` with dbus-send, as another peer would.
///
/// `--system` with the address in the environment, not `--address`: the latter skips Hello,
/// and the bus drops what an unregistered connection sends.
func emitSignal(address: String, path: String = "/share_manager/test", member: String, text: String) throws {
    var environment = ProcessInfo.processInfo.environment
    environment["DBUS_SYSTEM_BUS_ADDRESS"] = address
    let result = try runCommand(
        ["dbus-send", "--system", "--type=signal", path, "share_manager.Test.\(member)", "string:\(text)"],
        environment: environment)
    guard result.status == 0 else { throw FixtureError("dbus-send failed: \(result.stderr)") }
}

/// The first element of `stream` within `timeout`, or nil when none came (or it finished).
/// Ending the wait ends the stream too, as any cancelled consumer does.
func firstElement<Element: Sendable>(of stream: AsyncStream<Element>, within timeout: Duration) async -> Element? {
    await withTaskGroup(of: Element?.self) { group in
        group.addTask {
            for await element in stream { return element }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

extension DBusConnection {
    /// How many connections the bus has now (unique names), ours included.
    func connectionCount() async throws -> Int {
        let names = try await callBus("ListNames").values.first?.elements?.compactMap(\.string) ?? []
        return names.filter { $0.hasPrefix(":") }.count
    }
}
