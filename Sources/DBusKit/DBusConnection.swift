import Dispatch

/// A private connection to one D-Bus bus, named by an explicit address.
///
/// libdbus blocks, so every libdbus call runs on one serial queue owned by the connection,
/// never on Swift's cooperative pool; the async methods wait for that queue with a
/// continuation. Calls are answered in the order they were made. Losing the bus never
/// ends the process: the next call fails with `share_manager.Disconnected`.
public final class DBusConnection: Sendable {
    /// The unique name the bus gave this connection, e.g. `:1.42`.
    public let uniqueName: String
    /// The bus address this connection was opened with; signal subscriptions open their own
    /// connection to it.
    public let address: String
    private let handle: ConnectionHandle
    private let queue: DispatchQueue

    private init(handle: ConnectionHandle, uniqueName: String, address: String, queue: DispatchQueue) {
        self.handle = handle
        self.uniqueName = uniqueName
        self.address = address
        self.queue = queue
    }

    deinit {
        let handle = handle
        queue.async { handle.close() }
    }

    /// Connects to the bus at `address` (e.g. `unix:path=/run/x/system_bus_socket`) and
    /// registers with it, failing with `share_manager.Timeout` after `timeout`.
    public static func connect(address: String, timeout: Duration) async throws(DBusError) -> DBusConnection {
        let queue = DispatchQueue(label: "share-manager.dbus-connection")
        let opened = try await run(on: queue) { () throws(DBusError) in
            try ConnectionHandle.open(address: address, timeout: timeout)
        }
        return DBusConnection(handle: opened.0, uniqueName: opened.uniqueName, address: address, queue: queue)
    }

    /// Calls `interface.method` on `path` at `destination` and waits at most `timeout`.
    ///
    /// An error reply becomes a ``DBusError`` with the server's name and message; no reply
    /// in time is `share_manager.Timeout`, a lost bus `share_manager.Disconnected`.
    public func call(
        destination: String, path: String, interface: String, method: String,
        arguments: [DBusArgument] = [], timeout: Duration
    ) async throws(DBusError) -> DBusReply {
        let request = MethodCall(
            destination: destination, path: path, interface: interface, member: method, arguments: arguments)
        let handle = handle
        return try await Self.run(on: queue) { () throws(DBusError) in
            try handle.call(request, timeout: timeout)
        }
    }

    /// Whether some connection on the bus owns `name` right now.
    public func nameHasOwner(_ name: String, timeout: Duration) async throws(DBusError) -> Bool {
        let reply = try await call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            method: "NameHasOwner", arguments: [.string(name)], timeout: timeout)
        guard let owned = reply.values.first?.bool else {
            throw .badReply("NameHasOwner answered \(reply.signature) instead of a boolean")
        }
        return owned
    }

    /// Closes the connection once the calls already made have finished; later calls fail
    /// with `share_manager.Disconnected`. Also done when the connection is released.
    public func close() {
        let handle = handle
        queue.async { handle.close() }
    }

    private static func run<T: Sendable>(
        on queue: DispatchQueue, _ work: @escaping @Sendable () throws(DBusError) -> T
    ) async throws(DBusError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, DBusError>, Never>) in
            queue.async { continuation.resume(returning: Result { () throws(DBusError) in try work() }) }
        }
        return try result.get()
    }
}
