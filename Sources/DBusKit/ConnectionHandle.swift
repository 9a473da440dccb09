internal import CDBus
import FoundationEssentials
import Glibc

/// The libdbus connection pointer and the blocking operations on it.
///
/// Unchecked Sendable: every method blocks and is called only from the owning
/// ``DBusConnection``'s serial queue, which is what keeps the pointer single-threaded.
final class ConnectionHandle: @unchecked Sendable {
    private(set) var raw: OpaquePointer?

    private init(raw: OpaquePointer) {
        self.raw = raw
    }

    deinit { close() }

    // libdbus ≥ 1.7 locks by itself, but asking costs nothing and covers older builds.
    private static let threadsReady: Bool = dbus_threads_init_default() != 0

    /// Opens a private connection and says Hello within `timeout`.
    ///
    /// Hello is sent by hand rather than through `dbus_bus_register`, whose 25 s default
    /// timeout we could not bound.
    static func open(address: String, timeout: Duration) throws(DBusError) -> (ConnectionHandle, uniqueName: String) {
        guard threadsReady else { throw .disconnected("libdbus could not initialise its thread support") }
        guard !address.utf8.contains(0) else { throw .invalidRequest("bus address contains a NUL character") }
        let (opened, error) = DBusError.capturing { dbus_connection_open_private(address, $0) }
        guard let opened else {
            throw .disconnected("cannot connect to \(address): \(error?.message ?? "unknown failure")")
        }
        // The default for a bus connection is exit(1) when the bus goes away: never for us.
        dbus_connection_set_exit_on_disconnect(opened, 0)
        let handle = ConnectionHandle(raw: opened)
        let hello = MethodCall(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
            interface: "org.freedesktop.DBus", member: "Hello", arguments: [])
        let reply = try handle.call(hello, timeout: timeout)
        guard let name = reply.values.first?.string, dbus_bus_set_unique_name(opened, name) != 0 else {
            throw .badReply("Hello answered \(reply.signature) instead of a unique name")
        }
        return (handle, name)
    }

    /// Sends `request` and blocks for its reply, at most `timeout`.
    ///
    /// Whatever else arrived meanwhile is dropped unless `keepingIncoming` (a signal
    /// connection must not lose the signals that follow its AddMatch reply).
    func call(_ request: MethodCall, timeout: Duration, keepingIncoming: Bool = false) throws(DBusError) -> DBusReply {
        guard let raw, dbus_connection_get_is_connected(raw) != 0 else {
            throw .disconnected("the D-Bus connection is closed")
        }
        defer { if !keepingIncoming { discardIncoming() } }
        let message = try request.makeMessage()
        defer { dbus_message_unref(message) }
        let started = ContinuousClock.now
        let (reply, error) = DBusError.capturing {
            dbus_connection_send_with_reply_and_block(raw, message, Self.milliseconds(timeout), $0)
        }
        guard let reply else {
            throw classify(error, request: request, elapsed: ContinuousClock.now - started, timeout: timeout)
        }
        defer { dbus_message_unref(reply) }
        return try MessageDecoder.reply(from: reply)
    }

    /// Closes the connection; later calls fail with `share_manager.Disconnected`.
    func close() {
        guard let raw else { return }
        self.raw = nil
        dbus_connection_close(raw)
        dbus_connection_unref(raw)
    }

    /// libdbus reports a local timeout, a lost bus and a peer that quit without answering
    /// all as errors; callers need to know which, so tell them apart here.
    private func classify(_ error: DBusError?, request: MethodCall, elapsed: Duration, timeout: Duration) -> DBusError {
        let what = "\(request.interface).\(request.member) on \(request.destination)"
        if let raw, dbus_connection_get_is_connected(raw) == 0 {
            return .disconnected("lost the bus during \(what): \(error?.message ?? "disconnected")")
        }
        guard let error else { return .badReply("\(what) failed without an error") }
        if error.name == DBusError.Name.noReply && elapsed >= timeout {
            return .timeout("no reply to \(what) within \(timeout)")
        }
        return error
    }

    /// A method connection serves no requests and subscribes to no signals; whatever still arrives
    /// (NameAcquired, stray calls) is dropped so the incoming queue cannot grow.
    private func discardIncoming() {
        guard let raw else { return }
        while let message = dbus_connection_pop_message(raw) {
            dbus_message_unref(message)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return seconds < 0 ? 1 : Int32.max - 1 }
        let milliseconds = total.partialValue + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(1, min(milliseconds, Int64(Int32.max) - 1)))
    }
}
