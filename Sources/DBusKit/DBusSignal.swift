internal import CDBus

/// One signal received from the bus: who sent it, what it is, and its decoded body.
public struct DBusSignal: Sendable, Equatable {
    /// The sender's unique name, e.g. `:1.0` (the bus rewrites well-known names to it).
    public let sender: String
    /// The object path the signal was emitted from, e.g. `/org/ganesha/nfsd/heartbeat`.
    public let path: String
    /// The signal's interface, e.g. `org.ganesha.nfsd.admin`.
    public let interface: String
    /// The signal's name, e.g. `heartbeat`.
    public let member: String
    /// The body's type signature, e.g. `b`.
    public let signature: String
    /// The body's top-level values, in order.
    public let values: [DBusValue]
    /// When this process read the signal from its socket.
    public let received: ContinuousClock.Instant
    /// The sender's number for it, from the same counter as its replies (see `DBusReply.serial`).
    public let serial: UInt32

    public init(
        sender: String, path: String, interface: String, member: String, signature: String, values: [DBusValue],
        received: ContinuousClock.Instant, serial: UInt32 = 0
    ) {
        self.sender = sender
        self.path = path
        self.interface = interface
        self.member = member
        self.signature = signature
        self.values = values
        self.received = received
        self.serial = serial
    }

    /// Decodes `message` if it is a signal; nil for any other message or an undecodable body
    /// (a reader drops those rather than ending the whole subscription).
    init?(message: OpaquePointer, received: ContinuousClock.Instant) {
        guard dbus_message_get_type(message) == DBUS_MESSAGE_TYPE_SIGNAL,
              let path = dbus_message_get_path(message),
              let interface = dbus_message_get_interface(message),
              let member = dbus_message_get_member(message),
              let body = try? MessageDecoder.reply(from: message)
        else { return nil }
        self.init(
            sender: dbus_message_get_sender(message).map { String(cString: $0) } ?? "",
            path: String(cString: path), interface: String(cString: interface), member: String(cString: member),
            signature: body.signature, values: body.values, received: received,
            serial: body.serial)
    }
}
