/// The answer to a method call: its type signature and its decoded values.
public struct DBusReply: Sendable, Equatable {
    /// The signature the reply carried, e.g. `(tt)a(qs((sb)(sb))(tt))`.
    public let signature: String
    /// The reply's top-level values, in order.
    public let values: [DBusValue]
    /// The sender's number for this message. A connection numbers everything it sends (replies
    /// and signals alike) from one counter, so serials order one peer's messages by when they
    /// were sent, whenever they were received.
    public let serial: UInt32

    public init(signature: String, values: [DBusValue], serial: UInt32 = 0) {
        self.signature = signature
        self.values = values
        self.serial = serial
    }
}
