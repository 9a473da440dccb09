internal import CDBus

extension ConnectionHandle {
    /// Subscribes this connection to `rule` with the bus's AddMatch, within `timeout`.
    func addMatch(_ rule: DBusMatchRule, timeout: Duration) throws(DBusError) {
        let request = MethodCall(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            member: "AddMatch", arguments: [.string(rule.description)])
        _ = try call(request, timeout: timeout, keepingIncoming: true)
    }

    /// Reads the socket and hands every broadcast signal to `deliver` until `shouldStop`
    /// answers true or the bus goes away; other messages are dropped.
    ///
    /// `shouldStop` is checked at least every `pollInterval`: libdbus cannot be woken from
    /// a blocking read by another thread, so a short read timeout is what bounds the time a
    /// cancelled subscription keeps its thread.
    func receiveSignals(pollInterval: Duration, shouldStop: () -> Bool, deliver: (DBusSignal) -> Void) {
        guard let raw else { return }
        let milliseconds = Self.milliseconds(pollInterval)
        while !shouldStop() {
            // False once the connection is closed and libdbus has queued its Disconnected message.
            let open = dbus_connection_read_write(raw, milliseconds) != 0
            while let message = dbus_connection_pop_message(raw) {
                defer { dbus_message_unref(message) }
                if dbus_message_is_signal(message, "org.freedesktop.DBus.Local", "Disconnected") != 0 { return }
                // A signal with a destination was sent to this connection alone (NameAcquired
                // from the bus, or any peer naming us): the bus delivers those without
                // consulting match rules, so they are not what was subscribed to.
                guard dbus_message_get_destination(message) == nil else { continue }
                if let signal = DBusSignal(message: message, received: .now) { deliver(signal) }
            }
            guard open, dbus_connection_get_is_connected(raw) != 0 else { return }
        }
    }
}
